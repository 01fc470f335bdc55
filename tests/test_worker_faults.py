"""Faults on the machine that runs a report (its temporary folder full), and reports whose inputs
cannot be gathered: the batch stops or goes on with a message, never a traceback, and the reports
already published stay as they were (files and manifest records)."""

from __future__ import annotations

import json
from pathlib import Path

from _hardening import DISK_FULL, EXIT_FAULT, assert_clean, danvan, file_digest, tmpfs
from danvan.core.errors import DiskFull
from danvan.run.executors import LocalExecutor
from danvan.run.render import RenderTask, plan
from danvan.store import Store

WARDS = ["19750", "19753", "19756"]
REPO = Path(__file__).resolve().parents[1]


def test_a_full_temporary_folder_while_the_inputs_are_written_is_a_disk_full_fault(db, tmp_path):
    from danvan.store import subset_rows, write_subset

    store = Store(db)
    with store.reading() as con:
        rows = subset_rows(con, [("19780", 2023)])
    mnt = tmp_path / "tmp"
    with tmpfs(mnt, "64k"):
        try:
            write_subset(mnt / "inputs.sqlite", rows)
        except DiskFull as fault:
            assert "thư mục tạm" in str(fault) and "kho dữ liệu" not in str(fault), fault
        else:
            raise AssertionError("the subset store fitted in 64 kB: the test needs a smaller disk")


def test_a_full_temporary_folder_on_the_workers_keeps_the_published_reports(db, tmp_path):
    """Rendered once; rendered again (--force) with the workers' TMPDIR on a full disk: exit 4 with a
    disk-full message, and every report of the first run is still there, byte for byte, with its
    manifest record."""
    out = tmp_path / "out"
    args = ["run", "--year", "2023", "--units", ",".join(WARDS), "--db", db, "--outputs", out, "--no-progress",
            "--workers", "2", "--formats", "html,pdf"]
    assert_clean(danvan(*args), rc=0)
    before = {p.relative_to(out): file_digest(p) for p in out.glob("2023/*/*") if p.is_file()}
    records = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["reports"]
    mnt = tmp_path / "tmp"
    with tmpfs(mnt, "160k"):
        proc = danvan(*args, "--force", env={"TMPDIR": str(mnt)})
        text = assert_clean(proc, rc=EXIT_FAULT)
        assert DISK_FULL.search(text) and "thư mục tạm" in text, text[-2000:]
    after = {p.relative_to(out): file_digest(p) for p in out.glob("2023/*/*") if p.is_file()}
    assert after == before
    assert json.loads((out / "manifest.json").read_text(encoding="utf-8"))["reports"] == records


def test_a_report_whose_inputs_cannot_be_gathered_fails_alone(db, tmp_path):
    """A file a report names is gone between the plan and its submission: that report fails with
    the reason, the others are rendered."""
    store = Store(db)
    with store.reading() as con:
        fps = store.fingerprints(con)
        tasks = [plan(REPO / "notebooks" / "ward_report.ipynb", {"unit_code": c, "year": 2023, "db": str(db)},
                      tmp_path / "out", fingerprints=fps) for c in WARDS[:2]]

    def bundle_for(t: RenderTask):
        from danvan.run.bundle import collect

        if t.params["unit_code"] == WARDS[0]:
            raise FileNotFoundError(2, "No such file or directory", "/gone/danh-muc.yaml")
        with store.reading() as con:
            return collect(t, con)

    done = []
    cancelled = LocalExecutor(1).run(tasks, bundle_for, done.append)
    assert cancelled == []
    by_unit = {o.params["unit_code"]: o for o in done}
    assert by_unit[WARDS[0]].status == "failed" and "/gone/danh-muc.yaml" in by_unit[WARDS[0]].error
    assert not by_unit[WARDS[0]].fault
    assert by_unit[WARDS[1]].status == "ok", by_unit[WARDS[1]].error


def test_a_machine_fault_while_gathering_inputs_stops_and_lists_the_rest(db, tmp_path):
    """The store cannot be read at the first report: that report carries the fault, nothing else
    runs, and every other report is returned as not rendered (the batch's summary names them)."""
    from danvan.core.errors import StoreDamaged

    store = Store(db)
    with store.reading() as con:
        fps = store.fingerprints(con)
        tasks = [plan(REPO / "notebooks" / "ward_report.ipynb", {"unit_code": c, "year": 2023, "db": str(db)},
                      tmp_path / "out", fingerprints=fps) for c in WARDS]

    def bundle_for(t):
        raise StoreDamaged("kho dữ liệu bị hỏng")

    done = []
    cancelled = LocalExecutor(2).run(tasks, bundle_for, done.append, stop=lambda: any(o.fault for o in done))
    assert [o.label for o in done] == [tasks[0].label] and done[0].fault
    assert cancelled == [t.label for t in tasks[1:]]


def test_a_report_failed_by_its_worker_keeps_what_was_published(db, tmp_path):
    """A worker that crashed twice (or was lost, or runs other danvan code) is not the report's
    failure: its published files stay, byte for byte."""
    from danvan.run.executors import _failed
    from danvan.run.render import write_outcome

    out = tmp_path / "out"
    assert_clean(danvan("render", "--unit", WARDS[0], "--year", "2023", "--db", db, "--outputs", out,
                        "--formats", "html,pdf"), rc=0)
    folder = out / "2023" / WARDS[0]
    before = {p.name: file_digest(p) for p in folder.iterdir()}
    assert {"report.html", "report.pdf", "report.ipynb", "report.json"} <= set(before)
    with Store(db).reading() as con:
        task = plan(REPO / "notebooks" / "ward_report.ipynb", {"unit_code": WARDS[0], "year": 2023, "db": str(db)},
                    out, formats=("html", "pdf"), fingerprints=Store(db).fingerprints(con))
    o = write_outcome(_failed(task, "worker process crashed twice"), task)
    assert o.status == "failed" and o.keep_published
    assert {p.name: file_digest(p) for p in folder.iterdir()} == before
