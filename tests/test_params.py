"""danvan.run.params: bad run parameters are clear errors raised BEFORE any kernel starts.

Every error path here runs with papermill's execute_notebook, the warm engine and jupyter_client's
kernel start-up replaced by tripwires that fail the test if reached.
"""

from __future__ import annotations

import datetime as dt

import os
import subprocess
import sys
from pathlib import Path

import pytest

from danvan.core.errors import ParameterError, UsageError
from danvan.run.params import notebook_parameters, validate_parameters
from danvan.reference.units import load_registry

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK = REPO / "notebooks" / "ward_report.ipynb"
BIN = Path(sys.executable).parent


@pytest.fixture(autouse=True)
def _reference_store(store, monkeypatch):
    """The default store is a private copy of the reference data (19780/2023 only)."""
    monkeypatch.setenv("DANVAN_DB", str(store.path))


@pytest.fixture
def no_kernel(monkeypatch):
    """Fail the test if anything tries to execute a notebook or start a kernel."""
    import jupyter_client.manager
    import papermill

    import danvan.run.engine

    started = []

    def tripwire(*args, **kwargs):
        started.append(args)
        raise AssertionError("a kernel was started before the parameters were validated")

    monkeypatch.setattr(papermill, "execute_notebook", tripwire)
    monkeypatch.setattr(danvan.run.engine, "run_notebook_in_process", tripwire)
    monkeypatch.setattr(jupyter_client.manager.KernelManager, "start_kernel", tripwire)
    monkeypatch.setattr(jupyter_client.manager.AsyncKernelManager, "start_kernel", tripwire)
    yield started
    assert not started


def _render(params, tmp_path):
    from danvan.run.render import render

    return render(NOTEBOOK, params, tmp_path / "outputs")


def _cli(argv, capsys) -> tuple[int, str]:
    from danvan.cli.main import main

    code = main(argv)
    return code, capsys.readouterr().err


# ---- the schema is the parameters cell ---------------------------------------------------------
def test_schema_from_parameters_cell():
    specs = notebook_parameters(NOTEBOOK)
    assert list(specs)[:2] == ["unit_code", "year"]
    assert specs["unit_code"].type_name == "str" and specs["unit_code"].default == '"19780"'
    assert specs["year"].type_name == "int" and specs["year"].default == "2023"


def test_good_parameters_pass(no_kernel):
    assert validate_parameters(NOTEBOOK, {"unit_code": "19780", "year": 2023}) == {"unit_code": "19780", "year": 2023}
    assert validate_parameters(NOTEBOOK, {"year": "2023"}) == {"year": 2023}  # defaults: 19780
    assert validate_parameters(NOTEBOOK, {}) == {}


def test_tripwire_is_on_the_render_path(tmp_path, no_kernel):
    """Positive control: with good parameters render() does reach the (patched) execution."""
    outcome = _render({"unit_code": "19780", "year": 2023}, tmp_path)
    assert outcome.status == "failed" and "kernel was started" in outcome.error
    no_kernel.clear()


# ---- each bad parameter ------------------------------------------------------------------------
BAD = [
    pytest.param({"unit_cod": "19780"}, ["unknown parameter 'unit_cod'", "Did you mean 'unit_code'"], id="unknown-name"),
    pytest.param({"yaer": 2023}, ["unknown parameter 'yaer'", "'year'"], id="unknown-name-2"),
    pytest.param({"unit_code": 19780}, ["must be a string", "-r unit_code"], id="code-as-int"),
    pytest.param({"unit_code": "1978"}, ["'1978'", "19780"], id="code-4-chars"),
    pytest.param({"unit_code": "197800"}, ["'197800'", "19780"], id="code-6-chars"),
    pytest.param({"unit_code": "474"}, ["'474'", "5-character"], id="district-code"),
    pytest.param({"unit_code": "1978O"}, ["'1978O'"], id="letter-O"),
    pytest.param({"unit_code": "99999"}, ["'99999'", "danh mục"], id="unknown-unit"),
    pytest.param({"unit_code": "19780", "year": 2022}, ["2022", "danvan form --unit 19780 --year 2022", "danvan import"],
                 id="year-without-data"),
    pytest.param({"year": "hai nghìn"}, ["year", "whole number"], id="year-not-a-number"),
    pytest.param({"year": 0}, ["year", "0", "2023"], id="year-zero"),
    pytest.param({"year": 20233}, ["year", "20233", "2023"], id="year-typo"),
    pytest.param({"unit_code": "19780", "data_dir": "/nonexistent/dir"}, ["no data", "/nonexistent/dir"],
                 id="data-dir-missing"),
    pytest.param({"unit_code": "19780", "db": "/nonexistent/x.sqlite"}, ["/nonexistent/x.sqlite", "danvan setup"],
                 id="db-missing"),
]


@pytest.mark.parametrize("params,needles", BAD)
def test_bad_parameter_is_a_clear_error_before_any_kernel(params, needles, tmp_path, no_kernel):
    with pytest.raises(UsageError) as err:  # ParameterError, or StoreMissingError for a store that is not there
        _render(params, tmp_path)
    msg = str(err.value)
    for needle in needles:
        assert needle in msg, f"{needle!r} not in {msg!r}"
    assert not (tmp_path / "outputs").exists()  # nothing written either


def test_unit_that_did_not_exist_that_year_names_the_successor(tmp_path, no_kernel):
    reg = load_registry()
    [succ] = reg.successor_at(reg.rows("19780")[0], dt.date(2026, 1, 1))
    with pytest.raises(ParameterError) as err:
        _render({"unit_code": "19780", "year": 2026}, tmp_path)
    msg = str(err.value)
    assert "2026" in msg and succ.name in msg and f"mã {succ.code}" in msg


# ---- through the command line (in process: tripwires active) -----------------------------------
@pytest.mark.parametrize(
    "argv,needle",
    [
        (["--unit", "1978", "--year", "2023"], "'1978'"),
        (["--unit", "19780", "--year", "2026"], "Phường Thuận Hóa"),
        (["--unit", "19780", "--year", "2022"], "danvan form"),
        (["--unit", "19780", "--year", "2023", "-p", "unit_cod=19780"], "Did you mean 'unit_code'"),
        (["--unit", "00002", "--year", "2023"], "'00002'"),  # leading zeros kept; no such commune
    ],
)
def test_cli_bad_parameters_exit_2(argv, needle, capsys, tmp_path, no_kernel):
    code, err = _cli(["render", *argv, "--outputs", str(tmp_path / "out")], capsys)
    assert code == 2
    assert err.startswith("danvan render: ") and needle in err
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_cli_unknown_notebook_exit_2(capsys, no_kernel):
    from danvan.cli.main import main

    assert main(["render", "--unit", "19780", "--year", "2023", "--notebook", "no_such_report.ipynb"]) == 2
    assert "no_such_report.ipynb" in capsys.readouterr().err


def test_cli_year_must_be_an_integer(capsys):
    from danvan.cli.main import main

    with pytest.raises(SystemExit) as exc:
        main(["render", "--unit", "19780", "--year", "hai"])
    assert exc.value.code == 2 and "--year" in capsys.readouterr().err


def test_cli_subprocess_bad_unit(tmp_path):
    """The real executable: exit code 2, the message on stderr, nothing on stdout, no outputs."""
    env = dict(os.environ, DANVAN_OUTPUTS=str(tmp_path / "out"))
    proc = subprocess.run([str(BIN / "danvan"), "render", "--unit", "1978", "--year", "2023"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert "1978" in proc.stderr and "19780" in proc.stderr and "Traceback" not in proc.stderr
    assert proc.stdout == ""
    assert not (tmp_path / "out").exists()


def test_an_alias_code_becomes_the_canonical_code_with_its_note(no_kernel):
    from danvan.reference.units import AliasWarning

    with pytest.warns(AliasWarning, match="QĐ 19/2025/QĐ-TTg"):
        values = validate_parameters(NOTEBOOK, {"unit_code": "19786", "year": 2026}, check_data=False)
    assert values["unit_code"] == "19789"  # Phường Thuận Hóa (vietnam-provinces writes 19786)
    assert validate_parameters(NOTEBOOK, {"unit_code": "19786", "year": 2024}, check_data=False) == {
        "unit_code": "19786", "year": 2024}  # Phường Phú Hội, canonical in 2024: no note


def test_cli_prints_the_alias_note_as_one_line(capsys, tmp_path, no_kernel):
    code, err = _cli(["render", "--unit", "19786", "--year", "2026", "--db", str(tmp_path / "none.sqlite")], capsys)
    assert code == 2  # no store: nothing ran
    notes = [ln for ln in err.splitlines() if "lưu ý:" in ln]
    assert len(notes) == 1 and notes[0].startswith("danvan render: lưu ý: Mã 19786") and "19789" in notes[0]
    assert "AliasWarning" not in err and "Traceback" not in err
