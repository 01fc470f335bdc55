"""Bundles: a report's inputs carried to a worker that has no store. The subset store gives the
same snapshots (fingerprints included) as the client's store for every unit-year the report
reads, refuses any other, and the user's files arrive where the parameters say."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from danvan.core.errors import StoreSubsetError
from danvan.run.bundle import STORE_NAME, collect, materialize
from danvan.run.render import plan
from danvan.store import Store

REPO = Path(__file__).resolve().parents[1]
NB = REPO / "notebooks"


def _bundle(store, notebook, params, tmp_path):
    with store.reading() as con:
        task = plan(notebook, params | {"db": str(store.path)}, tmp_path / "out", fingerprints=store.fingerprints(con))
        return task, collect(task, con)


def test_the_subset_store_gives_the_same_snapshots_and_refuses_others(store, tmp_path):
    task, bundle = _bundle(store, NB / "ward_report.ipynb", {"unit_code": "19780", "year": 2023}, tmp_path)
    assert task.pairs == [["19780", 2023], ["19780", 2022]]  # the unit-year and its prior year
    assert bundle.params["db"] == STORE_NAME and bundle.params["unit_code"] == "19780"
    nb = materialize(bundle, tmp_path / "w")
    assert nb.read_bytes() == (NB / "ward_report.ipynb").read_bytes()
    sub = Store(tmp_path / "w" / STORE_NAME)
    assert sub.snapshot("19780", 2023) == store.snapshot("19780", 2023)
    assert sub.snapshot("19780", 2022) == store.snapshot("19780", 2022)  # empty, but declared
    with pytest.raises(StoreSubsetError, match="19783"):
        sub.snapshot("19783", 2023)


def test_a_city_summary_carries_every_ward(tmp_path):
    from _demo_store import demo_db_path

    store = Store(demo_db_path())
    task, bundle = _bundle(store, NB / "city_summary.ipynb", {"parent_code": "474", "year": 2023}, tmp_path)
    assert len(task.pairs) == 36
    materialize(bundle, tmp_path / "w")
    sub = Store(tmp_path / "w" / STORE_NAME)
    assert {c for c, _y in task.pairs} == {c for c, y in sub.unit_years() if y == 2023}
    for code, year in task.pairs[:5]:
        assert sub.snapshot(code, year) == store.snapshot(code, year)


def test_user_files_travel_with_the_report(store, tmp_path, monkeypatch):
    """A catalogue parameter with its own templates folder, and DANVAN_TEMPLATES folders, arrive under
    files/ at their absolute paths; the parameters and settings name them there."""
    mine = tmp_path / "mine"
    (mine / "templates").mkdir(parents=True)
    (mine / "extra.yaml").write_text("catalogue: mine\nversion: '1'\ntemplates: templates/\n", encoding="utf-8")
    (mine / "templates" / "II.2.md.j2").write_text("Câu của tôi.\n", encoding="utf-8")
    tdir = tmp_path / "tpl"
    tdir.mkdir()
    (tdir / "II.5.md.j2").write_text("Mẫu II.5.\n", encoding="utf-8")
    monkeypatch.setenv("DANVAN_TEMPLATES", str(tdir))
    _task, bundle = _bundle(store, NB / "ward_report.ipynb",
                            {"unit_code": "19780", "year": 2023, "catalogue": str(mine / "extra.yaml")}, tmp_path)
    root = tmp_path / "w"
    materialize(bundle, root)
    carried = root / bundle.params["catalogue"]
    assert carried.read_bytes() == (mine / "extra.yaml").read_bytes()
    assert (carried.parent / "templates" / "II.2.md.j2").read_text(encoding="utf-8") == "Câu của tôi.\n"
    assert list(bundle.env) == ["DANVAN_TEMPLATES"]
    assert (root / bundle.env["DANVAN_TEMPLATES"] / "II.5.md.j2").read_text(encoding="utf-8") == "Mẫu II.5.\n"
    assert not os.path.isabs(bundle.params["catalogue"]) and not os.path.isabs(bundle.env["DANVAN_TEMPLATES"])


def test_settings_overridden_sets_exactly_the_bundles_variables(monkeypatch):
    from danvan.core import settings

    monkeypatch.setenv("DANVAN_UNITS", "/client/units.csv")
    monkeypatch.setenv("DANVAN_TEMPLATES", "/client/tpl")
    with settings.overridden({"DANVAN_TEMPLATES": "files/x"}):
        assert settings.current().templates == ("files/x",) and settings.current().units == ()
    assert settings.current().units == ("/client/units.csv",) and settings.current().templates == ("/client/tpl",)
    with pytest.raises(ValueError):
        with settings.overridden({"HOME": "/"}):
            pass


def test_a_profile_file_travels_with_the_report(store, tmp_path, monkeypatch):
    """A ``profile`` parameter naming a user's profile file, which extends another of the user's files
    by a relative path and brings its own templates, and a DANVAN_PROFILES file: all carried; the
    report renders from the bundle after the user's folder is gone."""
    from danvan.run.render import execute

    mine = tmp_path / "mine"
    (mine / "templates").mkdir(parents=True)
    (mine / "parent.yaml").write_text("profile: my-parent\nversion: '1'\nextends: hue\n", encoding="utf-8")
    (mine / "child.yaml").write_text("profile: my-child\nversion: '1'\nextends: ./parent.yaml\n"
                                     "templates: templates/\n", encoding="utf-8")
    (mine / "templates" / "II.2.md.j2").write_text("Câu riêng của đề cương tôi.\n", encoding="utf-8")
    (mine / "known.yaml").write_text("profile: my-known\nversion: '1'\nextends: hue\n", encoding="utf-8")
    monkeypatch.setenv("DANVAN_PROFILES", str(mine / "known.yaml"))
    task, bundle = _bundle(store, NB / "ward_report.ipynb",
                           {"unit_code": "19780", "year": 2023, "profile": str(mine / "child.yaml")}, tmp_path)
    assert not os.path.isabs(bundle.params["profile"]) and not os.path.isabs(bundle.env["DANVAN_PROFILES"])
    names = {Path(n).name for n in bundle.files}
    assert {"child.yaml", "parent.yaml", "II.2.md.j2", "known.yaml"} <= names
    for p in sorted(mine.rglob("*"), reverse=True):
        p.unlink() if p.is_file() else p.rmdir()
    out = execute(task, bundle)
    assert out.status == "ok", out.error
    html = out.payload["report.html"].decode("utf-8")
    assert "Câu riêng của đề cương tôi." in html
