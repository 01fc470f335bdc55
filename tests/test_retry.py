"""Kernel start-up failures (the ZMQ port race) are retried a bounded number of times; a notebook's
own error never is."""

from __future__ import annotations

from pathlib import Path

import papermill
import pytest
from papermill.exceptions import PapermillExecutionError

from danvan.run.bundle import collect
from danvan.run.render import execute, plan

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def task(store, tmp_path):
    with store.reading() as con:
        t = plan(REPO / "notebooks" / "ward_report.ipynb", {"unit_code": "19780", "year": 2023,
                                                             "db": str(store.path)}, tmp_path / "out")
        return t, collect(t, con)


def fake_papermill(monkeypatch, failures: list[BaseException]):
    calls = []

    def run(*args, **kwargs):
        calls.append(kwargs.get("engine_name"))
        if failures:
            raise failures.pop(0)
        raise PapermillExecutionError(3, 4, "source", "RuntimeError", "boom", ["tb"])

    monkeypatch.setattr(papermill, "execute_notebook", run)
    return calls


def test_kernel_start_failures_are_retried_then_reported(task, monkeypatch):
    port_race = RuntimeError("ZMQError: Address already in use (addr='tcp://127.0.0.1:50123')")
    calls = fake_papermill(monkeypatch, [port_race, RuntimeError("Kernel didn't respond in 60 seconds")])
    out = execute(*task, engine="fresh", start_retries=3)
    assert len(calls) == 3 and out.attempts == 3  # two start-up failures retried, then the notebook ran
    assert out.status == "failed" and "boom" in out.error  # ... and its own error is not retried


def test_retries_are_bounded(task, monkeypatch):
    calls = fake_papermill(monkeypatch, [RuntimeError("ZMQError: Address already in use")] * 10)
    out = execute(*task, engine="fresh", start_retries=2)
    assert len(calls) == 3 and out.status == "failed" and "Address already in use" in out.error


def test_notebook_errors_are_never_retried(task, monkeypatch):
    calls = fake_papermill(monkeypatch, [])
    out = execute(*task, engine="warm", start_retries=3)
    assert len(calls) == 1 and out.status == "failed" and out.failed_cell is not None
