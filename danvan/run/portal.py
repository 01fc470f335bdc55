"""``outputs/index.html``: a static portal over the outputs folder, written after every batch from
``outputs/manifest.json`` and the unit registry.

Two files: ``index.html`` (page, stylesheet and script; no data) and ``portal-data.js`` (one
``window.DANVAN_PORTAL_DATA = {…}``: a ``<script src>``, because ``fetch`` of a local file is
refused on ``file://``). The page works opened from disk and from any static host: no server,
nothing fetched from the network (a Content-Security-Policy allows only the page's own inline
script and style, scripts from its folder, and no connection). It

- searches unit names (former names too) and codes ignoring diacritics and case: the same
  :func:`normalize` in Python (for the data) and in JavaScript (for the query; a test compares them);
- filters by year, parent unit (every ancestor level the registry gives), report kind and status;
- shows a page per unit at ``index.html#/don-vi/<code>``, drawn from the same data (loaded once):
  every year and format of its reports, its key figures with the change from the year before, links
  to its trend, its parent's summary and its parent's page.

The data is columnar and packed (see :func:`portal_data`) so that 3,321 communes × 3 years stay
well under 1.5 MB; the page itself is under 50 KB. Its bytes depend only on the manifest's records
(not their ``finished`` times), the registry and the catalogue: the same inputs, the same portal.
"""

from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import json
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path

from markupsafe import Markup

from ..core.errors import UnknownUnitError
from ..core.files import atomic_write
from ..core.templating import render_html
from ..reference.catalogue import Catalogue, load_catalogue
from ..reference.units import Unit, UnitRegistry, load_registry

__all__ = ["write_portal", "portal_data", "normalize", "collation_key", "PortalStats", "INDEX_FILE", "DATA_FILE",
           "DATA_VERSION", "KINDS", "FORMATS", "STATUS"]

DATA_VERSION = 2
INDEX_FILE = "index.html"
DATA_FILE = "portal-data.js"
_HERE = Path(__file__).resolve().parent
TEMPLATES_DIR = _HERE / "templates"
STATIC_DIR = _HERE / "static"
TITLE = "Báo cáo công tác Dân vận Chính quyền"

# Report kinds, in listing order: label stem -> Vietnamese name (the filter's options; other stems
# appear under their own name).
KINDS = {"report": "Báo cáo phường, xã", "trend": "Diễn biến qua các năm", "summary": "Tổng hợp toàn địa bàn"}
# Formats a record may have, in link order (a bit each in the data).
FORMATS = ("html", "pdf", "docx", "ipynb")
# Status codes of the data (bits 0-1); bit 2: illustrative data.
STATUS = {"ok": 0, "failed": 1, "no-data": 2}
_ILLUSTRATIVE = 4
_LEVELS = ("province", "district", "commune")
_MAX_ERROR = 300


# ---- search normalisation (its JavaScript twin: normalize() in static/portal.js) -----------------
# Spaces as one explicit list in both languages (Python's \s and JavaScript's \s differ).
_SPACE_RE = re.compile("[\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]+")


def normalize(text) -> str:
    """Search form of a name or a query: NFD, every mark (general category M) dropped, đ/Đ -> d,
    lower case, runs of spaces -> one space, trimmed. ``"Phường Phường Đúc"`` -> ``"phuong phuong duc"``."""
    s = unicodedata.normalize("NFD", str(text))
    s = "".join(ch for ch in s if not unicodedata.category(ch).startswith("M"))
    s = s.replace("đ", "d").replace("Đ", "d").lower()
    return _SPACE_RE.sub(" ", s).strip(" ")


# ---- Vietnamese dictionary order -----------------------------------------------------------------
_ALPHABET = "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"
_TONES = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}  # huyền hỏi ngã sắc nặng
_LETTER_MARKS = {"\u0306", "\u0302", "\u031b"}  # breve, circumflex, horn: part of the letter


def collation_key(text: str) -> tuple:
    """Sort key of Vietnamese dictionary order: letters first (a < ă < â, d < đ), then tones."""
    letters, tones = [], []
    for ch in unicodedata.normalize("NFD", text.lower()):
        if ch in _TONES:
            if tones:
                tones[-1] = _TONES[ch]
        elif ch in _LETTER_MARKS and letters:
            letters[-1] = unicodedata.normalize("NFC", letters[-1] + ch)
        else:
            letters.append(ch)
            tones.append(0)
    return tuple(_ALPHABET.index(c) if c in _ALPHABET else 100 + ord(c) for c in letters), tuple(tones)


# ---- units: names and parents per year, from the registry ------------------------------------------
@dataclass
class _PUnit:
    code: str
    name: str  # the latest name
    parent: str  # the latest parent code
    level: str
    # (last year, name, parent code) of the years the unit was named or placed otherwise, oldest first
    periods: list[tuple[int, str, str]] = field(default_factory=list)
    other_names: list[str] = field(default_factory=list)

    def at(self, year: int) -> tuple[str, str]:
        """(name, parent code) in ``year``."""
        for last, name, parent in self.periods:
            if last >= year:
                return name, parent
        return self.name, self.parent


def _latest(rows: list[Unit]) -> Unit:
    """The row of a code that is valid last (an open-ended one first)."""
    return max(rows, key=lambda u: (u.valid_to is None, u.valid_to or _dt.date.min, u.valid_from or _dt.date.min))


def _collect_units(registry: UnitRegistry, wanted: dict[str, str], years: list[int]) -> dict[str, _PUnit]:
    """Every unit of ``wanted`` (code -> fallback name) and its ancestors, named and placed as in
    each year (``registry.get``) from the first of ``years`` to the last year its registry rows
    name (so that "until 2024" is the registry's, not the last report's); the latest row is the
    unit's name and place after that."""
    out: dict[str, _PUnit] = {}
    todo = sorted(wanted)
    while todo:
        code = todo.pop()
        if code in out or not code:
            continue
        rows = registry.rows(code)
        if not rows:  # not in the registry: named from a report's title
            out[code] = _PUnit(code, wanted.get(code) or code, "", "")
            continue
        last = _latest(rows)
        unit = _PUnit(code, unicodedata.normalize("NFC", last.name), last.parent_code, last.level)
        bounds = [d.year for r in rows for d in (r.valid_from, r.valid_to) if d]
        runs: list[list] = []  # [last year, name, parent] per run of years with the same row
        for y in range(years[0], max([years[-1], *bounds]) + 1) if years else ():
            try:
                row = registry.resolve(code, y)[0]  # no alias warning: the portal only places the unit
            except UnknownUnitError:
                row = last
            if row.parent_code:
                todo.append(row.parent_code)
            key = [y, unicodedata.normalize("NFC", row.name), row.parent_code]
            if runs and runs[-1][1:] == key[1:]:
                runs[-1][0] = y
            else:
                runs.append(key)
        while runs and runs[-1][1:] == [unit.name, unit.parent]:
            runs.pop()  # the latest name and place need no period
        unit.periods = [tuple(r) for r in runs]
        names = {unicodedata.normalize("NFC", r.name) for r in rows} | {r[1] for r in runs}
        unit.other_names = sorted(names - {unit.name})
        if last.parent_code:
            todo.append(last.parent_code)
        out[code] = unit
    return out


# ---- figures --------------------------------------------------------------------------------------
def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        d = Decimal(str(value))
    except InvalidOperation:
        return None
    return d if d.is_finite() else None


def _scaled(value, scale: int) -> int | None:
    d = _decimal(value)
    return None if d is None else int(d.scaleb(scale).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _figure_sets(rec: dict) -> tuple[dict, dict | None]:
    figs = rec.get("figures") if isinstance(rec.get("figures"), dict) else {}
    prior = figs.get("prior") if isinstance(figs.get("prior"), dict) else None
    return figs.get("values") or {}, prior


def _indicators(catalogue: Catalogue, records: list[tuple[str, dict]]) -> list[list]:
    """``[code, label, unit, decimals, is_rate, kind, signed, scale]`` of the key indicators; scale:
    the decimals kept in the data (the catalogue's, else 2 for rates, else as many as any value has)."""
    out = []
    for ind in (i for i in catalogue.indicators.values() if i.key):
        if ind.decimals is not None:
            scale = ind.decimals
        elif ind.is_rate:
            scale = 2
        else:
            scale = 0
            for _label, rec in records:
                for figs in _figure_sets(rec):
                    d = _decimal((figs or {}).get(ind.code))
                    if d is not None and d != d.to_integral_value():
                        scale = max(scale, -d.normalize().as_tuple().exponent)
        out.append([ind.code, ind.short_label, ind.unit, ind.decimals, ind.is_rate, ind.kind, ind.signed, scale])
    return out


# ---- titles: one template per kind, filled in by the page --------------------------------------------
def _fill(template: str, year: int, name: str, first_year) -> str:
    """The JavaScript twin is fill() in static/portal.js (same placeholders, same order)."""
    return template.replace("{n}", name).replace("{y}", str(year)).replace("{f}", str(first_year))


def _template_of(title: str, year: int, name: str, first_year) -> str:
    t = title.replace(name, "{n}") if name else title
    t = t.replace(str(year), "{y}")
    return t.replace(str(first_year), "{f}") if first_year not in (None, "") else t


# ---- the data object -----------------------------------------------------------------------------
@dataclass
class PortalStats:
    index_bytes: int
    data_bytes: int
    units: int
    records: int
    with_figures: int
    build: str

    def summary(self) -> str:
        return (f"portal: {self.records:,} reports of {self.units:,} units ({self.with_figures:,} with key figures); "
                f"{INDEX_FILE} {self.index_bytes:,} B, {DATA_FILE} {self.data_bytes:,} B")


def _label_parts(label: str) -> tuple[int, str, str]:
    year, code, stem = label.split("/", 2)
    return int(year), code, stem


def _deltas(values: list[int]) -> list[int]:
    """[a, b, c] -> [a, b - a, c - b]: runs of neighbouring indices become runs of 1."""
    out, prev = [], 0
    for v in values:
        out.append(v - prev)
        prev = v
    return out


def portal_data(reports: dict, registry: UnitRegistry | None = None, catalogue: Catalogue | None = None) -> dict:
    """The portal's data object (what ``portal-data.js`` assigns) of a manifest's ``reports``.

    Format (version 1), columnar and packed; the page unpacks it (static/portal.js)::

        v        format version          build   digest of the data (the page checks it)
        years    [2025, 2024, 2023]       newest first; record year = years[...]
        kinds    [[stem, Vietnamese name, title template], ...]   template placeholders {y} year,
                 {n} the unit's name in that year, {f} first year (trends)
        fmts     ["html", "pdf", "docx", "ipynb"]   bit j of r.f[i]: the record has fmts[j]
        ind      [[code, label, unit, decimals, is_rate, kind, signed, scale], ...]  key figures
        u        units: code[], name[] (latest), par[] (index of the latest parent, -1 none),
                 lvl[] (0 province, 1 district, 2 commune, 3 other), key[] (search form of the
                 name, former names and code)
        per      {unit index: [[last year, name, parent index], ...]}  years in which a unit was
                 named or placed otherwise (renamed, code reused after a merger), oldest first;
                 a year after the last period: the latest name and parent
        r        records in display order, grouped by year: ud[] unit index as differences from
                 the previous record's; yc[] records per year (order of years); t[] kind * 8 +
                 status (0 ok, 1 failed, 2 no data; +4 illustrative data); f[] formats (bits)
        x        {record index: {t: title, e: error, p: {fmt: path}, fy: first year}}: only what
                 the kind's template and the standard path "year/code/stem.fmt" do not give
        fig      rd[] records with key figures (differences); v[] their values, n per record,
                 integers = value * 10**scale, null missing; pcd[] (differences) records whose
                 prior year is the values of the unit's previous-year record of the same kind;
                 pr{record: values} other priors; py{record: year} when not year - 1;
                 pn{record: index in notes[]} the note on the comparison; n = len(ind);
                 w{record: {indicator index: text}} values the report prints otherwise than the
                 plain number ("hơn 4,5 tỷ đồng", "04 tập thể"); wx{record: [indicator index]}
                 those that are a bound or a range (no change from the prior year is computed)
    """
    registry = registry or load_registry()
    catalogue = catalogue or load_catalogue()
    recs = sorted((str(k), dict(v)) for k, v in reports.items())
    years_up = sorted({_label_parts(label)[0] for label, _ in recs})
    wanted: dict[str, str] = {}
    for label, rec in recs:
        title = str(rec.get("title") or "")
        wanted.setdefault(_label_parts(label)[1], title.rsplit(" – ", 1)[-1] if " – " in title else "")
    units = _collect_units(registry, wanted, years_up)

    def chain(code: str, year: int, depth: int = 0) -> tuple:
        """Vietnamese order of a unit's ancestors and name as they were in ``year``."""
        name, parent = units[code].at(year)
        head = chain(parent, year, depth + 1) if parent in units and depth < 8 else ()
        return head + (collation_key(name), code)

    latest_year = years_up[-1] if years_up else 0
    codes = sorted(units, key=lambda c: chain(c, latest_year))
    uidx = {c: i for i, c in enumerate(codes)}
    ucols: dict[str, list] = {"code": [], "name": [], "par": [], "lvl": [], "key": []}
    periods = {}
    for i, c in enumerate(codes):
        u = units[c]
        ucols["code"].append(c)
        ucols["name"].append(u.name)
        ucols["par"].append(uidx.get(u.parent, -1))
        ucols["lvl"].append(_LEVELS.index(u.level) if u.level in _LEVELS else 3)
        ucols["key"].append(normalize(" ".join([u.name, *u.other_names, c])))
        if u.periods:
            periods[str(i)] = [[last, name, uidx.get(p, -1)] for last, name, p in u.periods]

    kinds = list(KINDS) + sorted({_label_parts(label)[2] for label, _ in recs} - set(KINDS))
    years = years_up[::-1]

    def order(item) -> tuple:  # newest year first, then the units' order in that year, then kind
        y, code, stem = _label_parts(item[0])
        return -y, chain(code, y), kinds.index(stem)

    recs.sort(key=order)

    # one title template per kind: the most frequent one (ties: the smallest), the others explicit
    def first_year(rec: dict):
        return (rec.get("params") or {}).get("first_year")

    templates: dict[str, Counter] = {k: Counter() for k in kinds}
    for label, rec in recs:
        y, code, stem = _label_parts(label)
        if rec.get("title"):
            templates[stem][_template_of(unicodedata.normalize("NFC", str(rec["title"])), y, units[code].at(y)[0],
                                         first_year(rec))] += 1
    template_of = {k: (min(c.items(), key=lambda kv: (-kv[1], kv[0]))[0] if c else "") for k, c in templates.items()}

    indicators = _indicators(catalogue, recs)
    n_ind = len(indicators)
    fmts = list(FORMATS)
    rcols: dict[str, list] = {"u": [], "t": [], "f": []}
    extras: dict[str, dict] = {}
    fig_r, fig_v, prior_same, prior_vals, prior_years, prior_notes = [], [], [], {}, {}, {}
    fig_w: dict[str, dict] = {}  # {record: {indicator index: text as the report prints it}}
    fig_wx: dict[str, list] = {}  # {record: [indicator index]}: a bound or a range, not compared
    by_unit_kind_year: dict[tuple, list] = {}
    pending = []
    for i, (label, rec) in enumerate(recs):
        y, code, stem = _label_parts(label)
        status = str(rec.get("status", "ok"))
        ill = bool((rec.get("provenance") or {}).get("illustrative"))
        files = rec.get("files") or {}
        mask, paths = 0, {}
        for j, fmt in enumerate(fmts):
            if fmt in files:
                mask |= 1 << j
                if str(files[fmt]) != f"{y}/{code}/{stem}.{fmt}":
                    paths[fmt] = str(files[fmt])
        rcols["u"].append(uidx[code])
        rcols["t"].append(kinds.index(stem) * 8 + (STATUS.get(status, STATUS["failed"]) | (_ILLUSTRATIVE if ill else 0)))
        rcols["f"].append(mask)
        x: dict = {}
        title = unicodedata.normalize("NFC", str(rec.get("title") or ""))
        fy = first_year(rec)
        if fy not in (None, "") and "{f}" in template_of[stem]:
            x["fy"] = int(fy)
        if title and status != "no-data" and title != _fill(template_of[stem], y, units[code].at(y)[0], fy):
            x["t"] = title
        if status != "ok" and rec.get("error"):
            err = " ".join(str(rec["error"]).split())
            x["e"] = err[:_MAX_ERROR] + ("…" if len(err) > _MAX_ERROR else "")
        if paths:
            x["p"] = paths
        if x:
            extras[str(i)] = x
        values, prior = _figure_sets(rec)
        v = [_scaled(values.get(ind[0]), ind[7]) for ind in indicators]
        if any(a is not None for a in v):
            fig_r.append(i)
            fig_v.extend(v)
            figs = rec.get("figures") or {}
            written = figs.get("written") if isinstance(figs.get("written"), dict) else {}
            wt = {str(j): unicodedata.normalize("NFC", str(written[ind[0]]))
                  for j, ind in enumerate(indicators) if written.get(ind[0])}
            if wt:
                fig_w[str(i)] = wt
                inexact = set(figs.get("inexact") or ())
                wx = [j for j, ind in enumerate(indicators) if ind[0] in inexact]
                if wx:
                    fig_wx[str(i)] = wx
            by_unit_kind_year[(code, stem, y)] = v
            if prior is not None:
                p = [_scaled(prior.get(ind[0]), ind[7]) for ind in indicators]
                py = (rec.get("figures") or {}).get("prior_year")
                pending.append((i, code, stem, y, p, int(py) if py not in (None, "") else y - 1))
            note = (rec.get("figures") or {}).get("prior_note")
            if note:
                prior_notes[str(i)] = " ".join(str(note).split())
    for i, code, stem, y, p, py in pending:
        if py == y - 1 and by_unit_kind_year.get((code, stem, y - 1)) == p:
            prior_same.append(i)  # exactly the previous-year record's values: one index
        else:
            prior_vals[str(i)] = p
            if py != y - 1:
                prior_years[str(i)] = py
    notes: dict[str, int] = {}
    for k in prior_notes:  # the same sentence for many units: once, in a table
        prior_notes[k] = notes.setdefault(prior_notes[k], len(notes))
    year_counts = Counter(_label_parts(label)[0] for label, _ in recs)
    data = {
        "v": DATA_VERSION,
        "years": years,
        "kinds": [[k, KINDS.get(k, k), template_of[k]] for k in kinds],
        "fmts": fmts,
        "ind": indicators,
        "u": ucols,
        "per": periods,
        "r": {"ud": _deltas(rcols["u"]), "yc": [year_counts[y] for y in years], "t": rcols["t"], "f": rcols["f"]},
        "x": extras,
        "fig": {"rd": _deltas(fig_r), "v": fig_v, "pcd": _deltas(prior_same), "pr": prior_vals, "py": prior_years,
                "pn": prior_notes, "notes": list(notes), "n": n_ind, "w": fig_w, "wx": fig_wx},
    }
    data["build"] = hashlib.sha256(json.dumps(data, ensure_ascii=False, sort_keys=True).encode()).hexdigest()[:16]
    return data


def _data_js(data: dict) -> str:
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    body = body.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029").replace("</", "<\\/")
    return f"/* danvan portal data, format v{DATA_VERSION}; written by danvan, do not edit */\nwindow.DANVAN_PORTAL_DATA={body};\n"


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def render_index(build: str) -> str:
    """``index.html`` (template ``templates/portal.html.j2``, with the stylesheet and the script of
    ``static/`` inline): no data of its own, so its bytes change only with danvan."""
    css = (STATIC_DIR / "portal.css").read_text(encoding="utf-8")
    js = (STATIC_DIR / "portal.js").read_text(encoding="utf-8")
    return str(render_html(TEMPLATES_DIR, "portal.html.j2", title=TITLE, build=build, data_file=DATA_FILE,
                           version=DATA_VERSION, css=Markup(css), js=Markup(js),
                           script_hash=_csp_hash(js), style_hash=_csp_hash(css)))


def write_portal(outputs: Path, manifest: dict, *, registry: UnitRegistry | None = None,
                 catalogue: Catalogue | None = None) -> PortalStats:
    """Write ``index.html`` and ``portal-data.js`` of ``manifest`` into ``outputs`` (atomically; the
    data first, so that a page never names data that is not there yet)."""
    data = portal_data(manifest.get("reports", {}), registry, catalogue)
    js = _data_js(data)
    page = render_index(data["build"])
    atomic_write(Path(outputs) / DATA_FILE, js)
    atomic_write(Path(outputs) / INDEX_FILE, page)
    return PortalStats(len(page.encode()), len(js.encode()), len(data["u"]["code"]), len(data["r"]["t"]),
                       len(data["fig"]["rd"]), data["build"])
