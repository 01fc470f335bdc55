"""Hardening, rendering and outputs (issue cases 5a, 5b, 6a, 6f-6i, 7e-7i): every output appears
complete or not at all (also notebooks and the manifest), workers die with their parent, and bad
run sets, notebooks, catalogues and output folders are messages with exit codes, not tracebacks.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from _hardening import (
    DISK_FULL,
    EXIT_FAULT,
    EXIT_LOCKED,
    EXIT_USAGE,
    NOTEBOOK,
    READ_ONLY,
    UNIT,
    alive,
    assert_clean,
    children_of,
    danvan,
    incomplete_outputs,
    read_only_dir,
    run_main,
    tmpfs,
    write_csv,
)

WARDS = ["19750", "19753", "19756", "19759", "19762", "19780"]


def _runset(path: Path, reports: list[dict], years=(2023,), formats=None) -> Path:
    doc = {"name": path.stem, "years": list(years), "reports": reports}
    if formats:
        doc["formats"] = formats
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")  # JSON is YAML
    return path


# ---- case 5a: a full outputs disk ----------------------------------------------------------------------
@pytest.mark.slow
def test_a_full_outputs_disk_leaves_no_partial_files_and_no_traceback(db, tmp_path):
    """Before: zero-byte and truncated report.ipynb files under their final names (19756: 217,088 bytes,
    19759/19762/19780: 0 bytes) and a traceback (OSError: [Errno 28]) from write_manifest."""
    mnt = tmp_path / "disk"
    with tmpfs(mnt, "1500k"):  # room for about two reports (ipynb ~560 kB + html ~180 kB each)
        out = mnt / "out"
        args = ["run", "--year", "2023", "--units", ",".join(WARDS), "--db", db, "--outputs", out,
                "--no-progress", "--workers", "2"]
        proc = danvan(*args)
        text = assert_clean(proc, rc=EXIT_FAULT)
        assert DISK_FULL.search(text), text[-2000:]
        assert incomplete_outputs(out) == []
        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
        for label, rec in manifest["reports"].items():
            for rel in rec.get("files", {}).values():
                assert (out / rel).exists(), f"{label}: the manifest lists {rel}, which is not there"
        assert not [p for p in out.rglob(".*tmp*")], "temporary files left behind"
        # with room again, the same command completes every report
        subprocess.run(["mount", "-o", "remount,size=64m", str(mnt)], check=True)
        proc = danvan(*args)
        assert_clean(proc, rc=0)
        assert incomplete_outputs(out) == []
        assert all((out / "2023" / c / "report.html").exists() for c in WARDS)


@pytest.mark.slow
def test_a_full_disk_during_render_leaves_no_partial_notebook(db, tmp_path):
    mnt = tmp_path / "disk"
    with tmpfs(mnt, "300k"):  # the executed notebook (~400 kB) does not fit
        out = mnt / "out"
        proc = danvan("render", "--unit", UNIT, "--year", "2023", "--db", db, "--outputs", out)
        text = assert_clean(proc, rc=EXIT_FAULT)
        assert DISK_FULL.search(text), text
        if out.exists():
            assert incomplete_outputs(out) == []


# ---- case 5b: kill -9 of `danvan run` --------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_workers_exit_when_their_parent_is_killed(db, tmp_path):
    """Before: after kill -9 of `danvan run`, both workers (~157 MB each) and the resource tracker were
    still alive 30 s later (and indefinitely)."""
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "danvan", "run", "--year", "2023", "--units", ",".join(WARDS),
           "--db", str(db), "--outputs", str(out), "--no-progress", "--workers", "2", "--force"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    kids: list[int] = []
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            kids = children_of(proc.pid)
            workers = [k for k in kids if "spawn_main" in Path(f"/proc/{k}/cmdline").read_text(errors="replace")]
            if len(workers) >= 2 and list(out.glob("2023/*/report.html")):
                break
            time.sleep(0.2)
        else:
            raise AssertionError("the workers never started rendering")
        os.kill(proc.pid, signal.SIGKILL)  # the parent only, as the OOM killer or a user would
        proc.wait(timeout=30)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and any(alive(k) for k in kids):
            time.sleep(0.2)
        left = [k for k in kids if alive(k)]
        assert left == [], f"processes of the killed run still alive after 20 s: {left}"
    finally:
        for k in kids:
            try:
                os.kill(k, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def test_a_worker_whose_parent_is_already_gone_exits_at_once():
    """exit_with_parent, called with a pid that is not the parent any more, ends the process (the
    race between a worker's start and its parent's death)."""
    code = ("import time; from danvan.core.procs import exit_with_parent; exit_with_parent(1); "
            "time.sleep(30); print('still here')")
    t0 = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1 and "still here" not in proc.stdout
    assert time.monotonic() - t0 < 25


# ---- case 6a: a read-only outputs folder ----------------------------------------------------------------
def test_render_and_run_into_a_read_only_outputs_folder(db, tmp_path, capsys):
    ro = tmp_path / "ro"
    with read_only_dir(ro) as make_ro:
        (ro / "out").mkdir()
        make_ro()
        rc, out, err = run_main(["render", "--unit", UNIT, "--year", "2023", "--db", db, "--outputs", ro / "out"],
                                capsys)
        text = assert_clean(out + err)
        assert rc == EXIT_FAULT and READ_ONLY.search(text) and str(ro / "out") in text, text
        proc = danvan("run", "--year", "2023", "--units", UNIT, "--db", db, "--outputs", ro / "out",
                      "--no-progress")
        text = assert_clean(proc, rc=EXIT_FAULT)
        assert READ_ONLY.search(text) and str(ro / "out") in text, text


# ---- cases 6f, 6g, 6h: run sets, notebooks and catalogues that are not what they claim ---------------------
def test_a_run_set_that_is_not_utf8(db, tmp_path):
    rs = tmp_path / "bo-chay.yaml"
    # Windows-1258, as Notepad of a Vietnamese Windows saves it ("Thành phô Huê")
    rs.write_bytes(b'name: "Th\xe0nh ph\xf4 Hu\xea"\nyears: [2023]\nreports:\n  - notebook: ward_report.ipynb\n'
                   b'    units: ["19780"]\n')
    proc = danvan("run", rs, "--db", db, "--outputs", tmp_path / "out", "--no-progress")
    text = assert_clean(proc, rc=EXIT_USAGE)
    assert str(rs) in text and "UTF-8" in text, text
    assert not (tmp_path / "out").exists()


def _not_notebooks(tmp_path: Path) -> dict[str, Path]:
    fake_json = tmp_path / "gia.ipynb"
    fake_json.write_text('{"not": "a notebook"}', encoding="utf-8")
    yaml_file = tmp_path / "bo-chay.ipynb"
    yaml_file.write_text("name: x\n", encoding="utf-8")
    binary = tmp_path / "nhi-phan.ipynb"
    binary.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(64))
    directory = tmp_path / "thu-muc.ipynb"
    directory.mkdir()
    return {"json": fake_json, "yaml": yaml_file, "binary": binary, "directory": directory}


@pytest.mark.parametrize("kind", ["json", "yaml", "binary", "directory"])
def test_a_notebook_that_is_not_one(kind, db, tmp_path, capsys):
    nb = _not_notebooks(tmp_path)[kind]
    rs = _runset(tmp_path / "rs.yaml", [{"notebook": str(nb), "units": [UNIT]}])
    proc = danvan("run", rs, "--db", db, "--outputs", tmp_path / "out", "--no-progress")
    text = assert_clean(proc, rc=EXIT_USAGE)
    assert str(nb) in text, text
    rc, out, err = run_main(["render", "--notebook", nb, "--unit", UNIT, "--year", "2023", "--db", db,
                             "--outputs", tmp_path / "out"], capsys)
    assert rc == EXIT_USAGE and str(nb) in err, out + err


@pytest.mark.parametrize("content", [b"just: [a, list\n", b"- a\n- b\n", b"PK\x03\x04\xf1\xf2binary", None])
def test_a_catalogue_that_is_not_one(content, db, tmp_path, capsys):
    cat = tmp_path / "danh-muc.yaml"
    if content is None:
        cat.mkdir()
    else:
        cat.write_bytes(content)
    rs = _runset(tmp_path / "rs.yaml", [{"notebook": "ward_report.ipynb", "units": [UNIT],
                                         "params": {"catalogue": str(cat)}}])
    proc = danvan("run", rs, "--db", db, "--outputs", tmp_path / "out", "--no-progress")
    text = assert_clean(proc, rc=EXIT_USAGE)
    assert str(cat) in text, text
    rc, out, err = run_main(["render", "--unit", UNIT, "--year", "2023", "--db", db, "-p", f"catalogue={cat}",
                             "--outputs", tmp_path / "out"], capsys)
    assert rc == EXIT_USAGE and str(cat) in err, out + err
    rc, out, err = run_main(["validate", write_csv(tmp_path / "f.csv", {"REV_TOTAL": "1"}, year=2023),
                             "--catalogue", cat, "--db", db], capsys)
    assert rc == EXIT_USAGE and str(cat) in err, out + err  # (import/validate already refused; with the file)


# ---- case 6i: --outputs pointing at a file -----------------------------------------------------------------
def test_outputs_pointing_at_a_file(db, tmp_path, capsys, monkeypatch):
    f = tmp_path / "mot-tep"
    f.write_text("x")
    rc, out, err = run_main(["render", "--unit", UNIT, "--year", "2023", "--db", db, "--outputs", f], capsys)
    assert rc == EXIT_USAGE and str(f) in err, out + err
    proc = danvan("run", "--year", "2023", "--units", UNIT, "--db", db, "--outputs", f, "--no-progress")
    assert str(f) in assert_clean(proc, rc=EXIT_USAGE)
    proc = danvan("run", "--year", "2023", "--units", UNIT, "--db", db, "--no-progress",
                  env={"DANVAN_OUTPUTS": str(f)})
    assert str(f) in assert_clean(proc, rc=EXIT_USAGE)
    assert f.read_text() == "x"


# ---- case 7e: a report rendered during an import ----------------------------------------------------------
@pytest.mark.slow
def test_a_report_carries_the_fingerprint_of_the_data_it_shows(db, tmp_path):
    """Before: planned, then an import committed, then executed: the report showed 8.123.456.789 đồng with
    the data fingerprint of the store before the import. Now the plan and the report's inputs come from
    one snapshot (its bundle): the report shows the data its footer names, and the next plan sees the
    import (a new cache key: the next run renders it again)."""
    from danvan.intake.importer import import_files
    from danvan.run.render import execute, plan, prepare, write_outcome
    from danvan.store import Store

    params = {"unit_code": UNIT, "year": 2023, "db": str(db)}
    task, bundle = prepare(NOTEBOOK, params, tmp_path / "out")
    before = task.provenance["data_fingerprint"]
    (o,) = import_files([write_csv(tmp_path / "f.csv", {"REV_TOTAL": "8123456789"}, year=2023)], Store(db))
    assert o.status == "written"
    result = write_outcome(execute(task, bundle), task)
    assert result.status == "ok", result.error
    html = Path(result.files["html"]).read_text(encoding="utf-8")
    assert "8.123.456.789" not in html and "7.967.592.178" in html, "the report shows its snapshot's data"
    assert before[:16] in html and result.provenance["data_fingerprint"] == before, \
        "the footer and the manifest name the data the report shows"
    now = plan(NOTEBOOK, params, tmp_path / "out")
    assert now.provenance["data_fingerprint"] != before and now.key != task.key, "the import is seen next time"


# ---- case 7f: an HTML-only run after an HTML+PDF run ----------------------------------------------------------
@pytest.mark.slow
def test_a_format_no_longer_asked_for_is_not_left_behind(db, tmp_path):
    out = tmp_path / "out"
    base = ["run", "--year", "2023", "--units", UNIT, "--db", db, "--outputs", out, "--no-progress",
            "--workers", "1"]
    assert_clean(danvan(*base, "--formats", "html,pdf"), rc=0)
    assert (out / "2023" / UNIT / "report.pdf").exists()
    assert_clean(danvan(*base, "--formats", "html"), rc=0)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    listed = set(manifest["reports"][f"2023/{UNIT}/report"]["files"].values())
    on_disk = {str(p.relative_to(out)) for p in (out / "2023" / UNIT).iterdir()
               if p.suffix in (".html", ".pdf", ".docx")}
    assert on_disk <= listed, f"report files not in the manifest: {on_disk - listed}"


# ---- case 7g: danvan render and the outputs lock --------------------------------------------------------------
def test_render_respects_the_outputs_lock(db, tmp_path, capsys):
    from danvan.run.outputs import outputs_lock

    out = tmp_path / "out"
    with outputs_lock(out):
        rc, o, e = run_main(["render", "--unit", UNIT, "--year", "2023", "--db", db, "--outputs", out], capsys)
    assert rc == EXIT_LOCKED, o + e
    assert str(os.getpid()) in e, e  # names the holder, like `danvan run`
    assert not (out / "2023").exists()


# ---- case 7h: a parent that is not a unit --------------------------------------------------------------------
@pytest.mark.parametrize("parent", ["../..", "999", "", "19780"])
def test_a_parent_that_gives_no_unit_is_an_error(parent, db, tmp_path):
    rs = _runset(tmp_path / "rs.yaml", [{"notebook": "ward_report.ipynb", "units": {"parent": parent}}])
    proc = danvan("run", rs, "--db", db, "--outputs", tmp_path / "out", "--no-progress")
    text = assert_clean(proc, rc=EXIT_USAGE)
    assert repr(parent) in text or f'"{parent}"' in text or f"«{parent}»" in text, text
    proc = danvan("run", "--year", "2023", "--units", f"parent:{parent}", "--db", db, "--outputs",
                  tmp_path / "out", "--no-progress")
    assert_clean(proc, rc=EXIT_USAGE)


# ---- case 7i: a unit listed twice -----------------------------------------------------------------------------
@pytest.mark.slow
def test_a_unit_listed_twice_is_rendered_once(db, tmp_path):
    rs = _runset(tmp_path / "rs.yaml", [{"notebook": "ward_report.ipynb", "units": [UNIT, UNIT]}])
    proc = danvan("run", rs, "--db", db, "--outputs", tmp_path / "out", "--no-progress", "--workers", "2")
    text = assert_clean(proc, rc=0)
    assert text.startswith("1 rendered") or "\n1 rendered" in text, text
    proc = danvan("run", "--year", "2023", "--units", f"{UNIT},{UNIT}", "--db", db, "--outputs",
                  tmp_path / "out2", "--no-progress", "--workers", "2")
    text = assert_clean(proc, rc=0)
    assert "1 rendered" in text, text
