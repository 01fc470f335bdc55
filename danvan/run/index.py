"""``outputs/index.html``: every report of the outputs folder, its status and links."""

from __future__ import annotations

from pathlib import Path

from ..core.files import atomic_write
from ..core.templating import render_html

__all__ = ["write_index", "STATUS_VI"]

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
STATUS_VI = {"ok": "thành công", "failed": "lỗi", "no-data": "chưa có số liệu"}


def write_index(outputs: Path, manifest: dict, *, name: str = "index.html", manifest_name: str = "manifest.json") -> None:
    """Write the index page of ``manifest`` (deterministic order: newest year first, then by label)."""
    by_year: dict[str, list] = {}
    for label, rec in manifest["reports"].items():
        by_year.setdefault(label.split("/", 1)[0], []).append((label, rec))
    years = []
    for year in sorted(by_year, reverse=True):
        rows = []
        for label, rec in sorted(by_year[year]):
            _y, code, _stem = label.split("/", 2)
            status = rec.get("status", "?")
            rows.append({
                "code": code, "status": status, "status_vi": STATUS_VI.get(status, status),
                "title": rec.get("title", label), "error": rec.get("error", ""),
                "illustrative": bool(rec.get("provenance", {}).get("illustrative")),
                "files": sorted(rec.get("files", {}).items()),
            })
        years.append({"year": year, "rows": rows})
    counts = {s: sum(1 for r in manifest["reports"].values() if r.get("status") == s) for s in STATUS_VI}
    summary = ", ".join(f"{n} {STATUS_VI[s]}" for s, n in counts.items() if n)
    page = render_html(TEMPLATES_DIR, "index.html.j2", years=years, summary=summary, manifest=manifest_name)
    atomic_write(Path(outputs) / name, str(page))
