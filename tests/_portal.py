"""Reading a built portal back in Python: the data object of ``portal-data.js`` unpacked into one
record per report, the way static/portal.js unpacks it (so a test can check what the page lists)."""

from __future__ import annotations

import json
from pathlib import Path

from danvan.run.portal import DATA_FILE


def read_data(outputs: Path) -> dict:
    text = (Path(outputs) / DATA_FILE).read_text(encoding="utf-8")
    prefix = "window.DANVAN_PORTAL_DATA="
    start = text.index(prefix) + len(prefix)
    return json.loads(text[start:text.rindex(";")])


def _undelta(a):
    out, acc = [], 0
    for x in a:
        acc += x
        out.append(acc)
    return out


def _fill(template: str, year: int, name: str, first_year) -> str:
    return template.replace("{n}", name).replace("{y}", str(year)).replace("{f}", str(first_year))


def decode(data: dict) -> dict[str, dict]:
    """``{label: {status, illustrative, files, title, error, name, values, prior, prior_year}}``."""
    r, f, u, x = data["r"], data["fig"], data["u"], data["x"]
    units = _undelta(r["ud"])
    years = [y for y, n in zip(data["years"], r["yc"]) for _ in range(n)]
    n = f["n"]
    values = {rec: f["v"][j * n:(j + 1) * n] for j, rec in enumerate(_undelta(f["rd"]))}
    same = set(_undelta(f["pcd"]))

    def at(ui: int, y: int) -> tuple[str, int]:
        for last, name, par in data["per"].get(str(ui), []):
            if last >= y:
                return name, par
        return u["name"][ui], u["par"][ui]

    out, by_key = {}, {}
    for i, (ui, y, t, mask) in enumerate(zip(units, years, r["t"], r["f"])):
        stem, _kind, template = data["kinds"][t >> 3]
        code = u["code"][ui]
        ex = x.get(str(i), {})
        files = {fmt: ex.get("p", {}).get(fmt, f"{y}/{code}/{stem}.{fmt}")
                 for j, fmt in enumerate(data["fmts"]) if mask & (1 << j)}
        name, _par = at(ui, y)
        rec = {"status": ["ok", "failed", "no-data"][t & 3], "illustrative": bool(t & 4), "files": files,
               "title": ex.get("t") or _fill(template, y, name, ex.get("fy", "")), "error": ex.get("e", ""),
               "name": name, "values": values.get(i), "prior": None, "prior_year": None, "index": i}
        by_key[(ui, t >> 3, y)] = i
        out[f"{y}/{code}/{stem}"] = rec
    index_label = {rec["index"]: label for label, rec in out.items()}
    for label, rec in out.items():
        i = rec["index"]
        y = int(label.split("/")[0])
        ui, t = units[i], r["t"][i]
        if i in same:
            rec["prior"], rec["prior_year"] = out[index_label[by_key[(ui, t >> 3, y - 1)]]]["values"], y - 1
        elif str(i) in f["pr"]:
            rec["prior"], rec["prior_year"] = f["pr"][str(i)], f["py"].get(str(i), y - 1)
    return out
