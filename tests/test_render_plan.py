"""Planning a report (no kernel): the cache key covers the code of danvan itself, not only its
version, so that a change to the package re-renders every report; the provenance records it."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK = REPO / "notebooks" / "ward_report.ipynb"


def test_a_code_change_changes_every_cache_key(store, tmp_path, monkeypatch):
    import danvan.run.render as render_mod
    from danvan.run.provenance import code_digest

    params = {"unit_code": "19780", "year": 2023, "db": str(store.path)}
    before = render_mod.plan(NOTEBOOK, params, tmp_path)
    assert before.provenance["code_digest"] == code_digest()
    assert code_digest()[:16] in before.provenance["code"]
    again = render_mod.plan(NOTEBOOK, params, tmp_path)
    assert again.key == before.key  # same inputs, same key
    monkeypatch.setattr(render_mod, "code_digest", lambda: "0" * 64)
    assert render_mod.plan(NOTEBOOK, params, tmp_path).key != before.key
