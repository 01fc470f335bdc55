"""Batch runs (issue 4): warm == fresh, determinism, failure isolation, crash safety, locking,
incremental skip, Dask. Notebook executions are slow; each test renders only a few wards."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from _portal import decode, read_data
from danvan.core.errors import OutputsLocked, RunSetError
from danvan.run.batch import run_batch
from danvan.run.outputs import outputs_lock
from danvan.run.runset import load_runset

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK = REPO / "notebooks" / "ward_report.ipynb"
WARDS = ["19750", "19753", "19780"]  # two illustrative wards and the real reference ward
pytestmark = pytest.mark.slow


def jobs(codes=WARDS, year=2023, notebook=NOTEBOOK):
    return [(notebook, {"unit_code": c, "year": year}) for c in codes]


def html_of(outputs: Path, code: str, year: int = 2023) -> bytes:
    return (outputs / str(year) / code / "report.html").read_bytes()


def test_warm_and_fresh_kernels_give_byte_identical_html(db, tmp_path):
    warm = run_batch(jobs(), tmp_path / "warm", db=str(db), workers=2, progress=False)
    fresh = run_batch(jobs(), tmp_path / "fresh", db=str(db), workers=2, engine="fresh", progress=False)
    assert not warm.failed and not fresh.failed, (warm.summary(), fresh.summary())
    for code in WARDS:
        a, b = html_of(tmp_path / "warm", code), html_of(tmp_path / "fresh", code)
        assert a == b, f"warm and fresh HTML differ for {code}"
        assert len(a) <= 300_000, f"report {code} is {len(a)} bytes"


def test_rerender_is_deterministic_and_incremental(db, tmp_path):
    out = tmp_path / "out"
    first = run_batch(jobs(), out, db=str(db), workers=2, progress=False)
    assert len(first.ok) == 3
    before = {c: html_of(out, c) for c in WARDS}
    again = run_batch(jobs(), out, db=str(db), workers=2, progress=False)
    assert again.outcomes == [] and sorted(again.skipped) == sorted(f"2023/{c}/report" for c in WARDS)
    forced = run_batch(jobs(), out, db=str(db), workers=2, force=True, progress=False)
    assert len(forced.ok) == 3
    assert {c: html_of(out, c) for c in WARDS} == before, "same inputs must give byte-identical HTML"

    # change one figure of one ward: exactly that ward is re-rendered, with the new figure
    from danvan.store import FigureValue, Store

    Store(db).write_import(file="test", sha256="0", catalogue_version="t", catalogue_digest="t",
                           figures=[FigureValue("19753", 2023, "POOR_HOUSEHOLDS", __import__("decimal").Decimal(4321))])
    targeted = run_batch(jobs(), out, db=str(db), workers=2, progress=False)
    assert [o.label for o in targeted.outcomes] == ["2023/19753/report"]
    assert "4.321 hộ nghèo" in html_of(out, "19753").decode()
    assert html_of(out, "19780") == before["19780"]


def test_failing_ward_is_isolated_kept_and_retried(db, tmp_path):
    nb = nbformat.read(str(NOTEBOOK), as_version=4)
    bomb = nbformat.v4.new_code_cell('if unit_code == "19753" and not __import__("os").environ.get("DEFUSE"):\n'
                                     '    raise RuntimeError("boom in ward 19753")')
    bomb.id = "bomb"
    nb.cells.insert(3, bomb)
    bad_nb = tmp_path / "notebooks" / "ward_report.ipynb"
    bad_nb.parent.mkdir()
    nbformat.write(nb, str(bad_nb))
    out = tmp_path / "out"
    res = run_batch(jobs(notebook=bad_nb), out, db=str(db), workers=2, progress=False)
    assert [o.label for o in res.failed] == ["2023/19753/report"]
    assert len(res.ok) == 2
    failed = res.failed[0]
    assert "boom in ward 19753" in failed.error and failed.failed_cell is not None
    kept = nbformat.read(failed.files["ipynb"], as_version=4)
    errors = [o for c in kept.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"]
    assert errors and errors[0]["evalue"] == "boom in ward 19753"
    assert not (out / "2023" / "19753" / "report.html").exists()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["reports"]["2023/19753/report"]["status"] == "failed"
    listed = decode(read_data(out))["2023/19753/report"]  # the portal lists it as failed, with its error
    assert listed["status"] == "failed" and "boom in ward 19753" in listed["error"]

    os.environ["DEFUSE"] = "1"
    try:
        retry = run_batch(jobs(notebook=bad_nb), out, db=str(db), workers=2, retry_failed=True, progress=False)
    finally:
        del os.environ["DEFUSE"]
    assert [o.label for o in retry.outcomes] == ["2023/19753/report"] and not retry.failed
    assert (out / "2023" / "19753" / "report.html").exists()


def test_cli_exit_code_and_summary_on_failure(db, tmp_path):
    env = dict(os.environ, DANVAN_DB=str(db))
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nyears: [2023]\nreports:\n  - notebook: ward_report.ipynb\n    units: [19780]\n")
    r = subprocess.run([sys.executable, "-m", "danvan", "run", str(bad), "--outputs", str(tmp_path / "o")],
                       env=env, capture_output=True, text=True)
    assert r.returncode == 2 and "quoted strings" in r.stderr


def test_runset_files_in_params_are_valid(tmp_path):
    for p in sorted((REPO / "params").glob("*.yaml")):
        rs = load_runset(p)
        assert rs.years and rs.reports
    bad = tmp_path / "bad.yaml"
    bad.write_text((REPO / "params" / "hue-2023.yaml").read_text().replace('parent: "474"', "parent: 474"))
    with pytest.raises(RunSetError, match="quoted string"):
        load_runset(bad)


def test_second_batch_on_same_outputs_is_refused(tmp_path):
    out = tmp_path / "out"
    with outputs_lock(out):
        with pytest.raises(OutputsLocked, match="another danvan run"):
            run_batch([], out, progress=False)
    run_batch([], out, progress=False)  # free again once the first holder is done


def test_kill_9_midway_then_rerun_completes_without_partial_files(db, tmp_path):
    from danvan.intake.demo import load_demo
    from danvan.store import Store

    codes = ["19750", "19753", "19756", "19759", "19762", "19768"]
    load_demo(Store(db), [(c, 2023) for c in codes])
    runset = tmp_path / "rs.yaml"
    runset.write_text(json.dumps({"name": "k", "years": [2023], "reports": [{"notebook": str(NOTEBOOK),
                                                                              "units": codes}]}))
    out = tmp_path / "out"
    env = dict(os.environ, DANVAN_DB=str(db))
    cmd = [sys.executable, "-m", "danvan", "run", str(runset), "--outputs", str(out), "--workers", "2",
           "--no-progress"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not list(out.glob("2023/*/report.html")):
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)  # the batch and its workers, mid-run
    proc.wait()
    for p in out.rglob("*"):  # whatever exists under a final name is complete
        if p.is_file() and p.name == "report.html":
            assert p.read_text(encoding="utf-8").rstrip().endswith("</html>")
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    for c in codes:
        assert html_of(out, c).decode().rstrip().endswith("</html>")
    leftovers = [p for p in out.rglob(".*") if p.name != ".danvan.lock"]
    assert leftovers == [], f"temporary files left behind: {leftovers}"


def test_dask_localcluster_gives_same_reports_as_local(db, tmp_path):
    from distributed import Client, LocalCluster

    local = run_batch(jobs(), tmp_path / "local", db=str(db), workers=2, progress=False)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        dask = run_batch(jobs(), tmp_path / "dask", db=str(db), scheduler=client, progress=False)
    assert not local.failed and not dask.failed, dask.summary()
    for code in WARDS:
        assert html_of(tmp_path / "local", code) == html_of(tmp_path / "dask", code)


def test_index_manifest_and_provenance(db, tmp_path):
    out = tmp_path / "out"
    run_batch(jobs(["19780", "19750"]), out, db=str(db), workers=2, progress=False)
    manifest = json.loads((out / "manifest.json").read_text())
    rec = manifest["reports"]["2023/19780/report"]
    prov, rec_files = rec["provenance"], rec["files"]
    for key in ("notebook_sha256", "data_fingerprint", "catalogue_digest", "git_commit", "package_versions"):
        assert prov[key], key
    assert rec["params"] == {"unit_code": "19780", "year": 2023, "db": str(db)}
    assert prov["illustrative"] is False
    assert manifest["reports"]["2023/19750/report"]["provenance"]["illustrative"] is True
    # the key figures the report states, from its executed notebook: the library's, prior year included
    from danvan.indicators.figures import load_figures

    for code in ("19780", "19750"):
        rec = manifest["reports"][f"2023/{code}/report"]
        assert rec["figures"] == load_figures(code, 2023, db=str(db)).key_figures(), code
        assert json.loads((out / "2023" / code / "report.json").read_text())["figures"] == rec["figures"]
    assert "prior" in manifest["reports"]["2023/19750/report"]["figures"]
    listed = decode(read_data(out))
    assert sorted(listed) == sorted(manifest["reports"])
    assert listed["2023/19780/report"]["files"] == rec_files and listed["2023/19780/report"]["name"] == "Phường Phường Đúc"
    assert (out / "index.html").exists()
    html = html_of(out, "19780").decode()
    assert prov["git_commit"] in html and prov["data_fingerprint"][:16] in html
    ids = re.findall(r'\bid="([^"]+)"', html)
    refs = re.findall(r'href="#([^"]+)"', html) + re.findall(r"url\(#([^)]+)\)", html)
    assert len(ids) == len(set(ids)) and set(refs) <= set(ids), "charts share glyphs; every reference resolves"
    assert html.count('<figure class="chart"') >= 3
    assert "SỐ LIỆU MINH HỌA" not in html  # real data: no banner
    assert "SỐ LIỆU MINH HỌA" in html_of(out, "19750").decode()  # illustrative: banner
