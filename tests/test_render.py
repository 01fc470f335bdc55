"""End to end: `danvan render --unit 19780 --year 2023` and the ward notebook under plain papermill.

One render through the real command line is shared by all tests here (built once per test session,
even across pytest-xdist workers). Rendering never creates a store: the first attempt, against a
missing store, is refused with a message naming `danvan setup`; then `danvan setup --no-demo`
loads data/reference and the render runs.
"""

from __future__ import annotations

import html as htmllib
import json
import os
import re
import subprocess
import sys
import time
import unicodedata
from importlib import metadata
from pathlib import Path

import nbformat
import pytest
from _util import file_lock

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK = REPO / "notebooks" / "ward_report.ipynb"
BIN = Path(sys.executable).parent
TIMEOUT = 300

# The reference report's figures as the report (and the issue) write them; 1109 and 3300 grouped.
FIGURES = ["7.967.592.178", "5.269.000.000", "151%", "2.209.152.000", "112%", "9/9", "95,2%", "139.100.000",
           "387.000.000", "98,75%", "17/17", "2.300.000", "12.000.000", "7.400", "9.858", "6.748", "75,07%",
           "4.592", "4.413", "46,58%", "1.109", "3.300"]
CODE_MARKERS = ["In [", "Out[", "Traceback", "def ", "import danvan", "from danvan", 'class="input', "jp-InputArea",
                "WardReport.load", "report.part(", "display(", "ipython", "Error:", "Exception"]




def _env(base: Path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DANVAN_CATALOGUE", "DANVAN_TEMPLATES", "DANVAN_UNITS", "DANVAN_NOTEBOOKS")}
    env.update(DANVAN_DB=str(base / "danvan.sqlite"), DANVAN_OUTPUTS=str(base / "outputs"), MPLBACKEND="Agg")
    env.update(extra)
    return env


def _shared_dir(tmp_path_factory, worker_id: str, name: str) -> Path:
    root = tmp_path_factory.getbasetemp()
    if worker_id != "master":
        root = root.parent  # shared by every xdist worker of this session
    return root / name


@pytest.fixture(scope="session")
def cli_render(tmp_path_factory, worker_id):
    """`danvan render --unit 19780 --year 2023` through the installed executable (warm engine)."""
    base = _shared_dir(tmp_path_factory, worker_id, "danvan-cli-render")
    with file_lock(base.parent / "danvan-cli-render.lock"):
        done = base / "result.json"
        if not done.exists():
            base.mkdir(parents=True, exist_ok=True)
            assert not (base / "danvan.sqlite").exists()
            render = [str(BIN / "danvan"), "render", "--unit", "19780", "--year", "2023"]
            refused = subprocess.run(render, capture_output=True, text=True, env=_env(base), cwd=str(base),
                                     timeout=TIMEOUT)
            store_after_refusal = (base / "danvan.sqlite").exists()
            setup = subprocess.run([str(BIN / "danvan"), "setup", "--no-demo"], capture_output=True, text=True,
                                   env=_env(base), cwd=str(base), timeout=TIMEOUT)
            assert setup.returncode == 0, setup.stderr
            t0 = time.perf_counter()
            proc = subprocess.run(render, capture_output=True, text=True, env=_env(base), cwd=str(base), timeout=TIMEOUT)
            seconds = time.perf_counter() - t0
            done.write_text(json.dumps({"rc": proc.returncode, "stdout": proc.stdout, "stderr": proc.stderr,
                                        "seconds": seconds, "refused": [refused.returncode, refused.stderr],
                                        "store_after_refusal": store_after_refusal}), encoding="utf-8")
    result = json.loads(done.read_text(encoding="utf-8"))
    assert result["rc"] == 0, result["stderr"]
    result["base"] = base
    result["html_path"] = base / "outputs" / "2023" / "19780" / "report.html"
    return result


@pytest.fixture(scope="session")
def html(cli_render) -> str:
    return cli_render["html_path"].read_text(encoding="utf-8")


def _text(html: str) -> str:
    """What a reader sees: no tags, no styles, no SVG internals; entities decoded, spaces collapsed."""
    s = re.sub(r"<(style|script|svg)\b.*?</\1>", " ", html, flags=re.S | re.I)
    block = r"p|div|h\d|li|ol|ul|td|th|tr|table|br|figure|figcaption|header|footer|main|section|dt|dd|dl|title|body"
    s = re.sub(rf"</?({block})\b[^>]*>", " ", s, flags=re.I)
    s = re.sub(r"<[^>]+>", "", s)  # inline elements (span, strong, em) do not separate words
    return re.sub(r"\s+", " ", htmllib.unescape(s)).strip()


@pytest.fixture(scope="session")
def text(html) -> str:
    return _text(html)


# ---- the command -------------------------------------------------------------------------------
def test_cli_writes_the_report_files(cli_render):
    out = cli_render["html_path"].parent
    assert out == cli_render["base"] / "outputs" / "2023" / "19780"
    assert {"report.html", "report.ipynb", "report.json"} <= {p.name for p in out.iterdir()}
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporary files left
    assert str(cli_render["html_path"]) in cli_render["stdout"]


def test_render_against_a_missing_store_names_setup_and_writes_nothing(cli_render):
    rc, err = cli_render["refused"]
    assert rc == 2 and "danvan setup" in err and "Traceback" not in err
    assert not cli_render["store_after_refusal"]  # reading never creates a store


@pytest.mark.parametrize("figure", FIGURES)
def test_report_states_the_figure(text, figure):
    assert re.search(r"(?<![\d.,])" + re.escape(figure) + r"(?![\d]|[.,]\d)", text), figure


def test_ungrouped_seed_spellings_are_not_used(text):
    for raw in ("1109", "3300", "1220", "7967592178"):
        assert not re.search(rf"(?<![\d.]){raw}(?![\d])", text), raw


def test_no_code_prompts_or_errors(html, text):
    for marker in CODE_MARKERS:
        assert marker not in text, marker
    for marker in ('class="input', "jp-InputPrompt", "jp-OutputPrompt", "output_stderr", 'class="prompt',
                   "Traceback", "<pre"):
        assert marker not in html, marker
    assert "chưa có số liệu" not in text
    assert not re.search(r"\b(nan|None|NaN)\b", text)


def test_self_contained(html):
    assert not re.search(r"""\b(src|href)\s*=\s*["']?\s*(https?:)?//""", html, re.I)
    assert not re.search(r"<(script|link|iframe|img)\b[^>]*\b(src|href)\s*=\s*[\"'](?!data:|#)", html, re.I)
    assert "@import" not in html and not re.search(r"url\(\s*[\"']?(https?:)?//", html, re.I)


def test_at_least_three_charts(html):
    figures = re.findall(r'<figure class="chart"[^>]*>(.*?)</figure>', html, re.S)
    charts = [f for f in figures if re.match(r"\s*<svg\b.*</svg>", f, re.S)]
    assert len(charts) >= 3
    assert html.count("<svg") == len(charts)  # every chart is an inline SVG in its figure
    for svg in charts:  # text as text in the bundled family, which the page embeds: no host font
        assert re.search(r"<path\b", svg) and "<text" in svg and "font-family: 'Liberation Serif'" in svg
    assert 'svg.chart text{font-family:"danvan Liberation Serif",serif!important}' in html
    assert "data:font/woff2;base64," in html


def test_text_is_nfc(html):
    assert unicodedata.is_normalized("NFC", html)


def test_unit_names_and_header(html, text):
    assert "<title>Báo cáo công tác Dân vận Chính quyền năm 2023 – Phường Phường Đúc</title>" in html
    assert "UBND PHƯỜNG PHƯỜNG ĐÚC" in text and "UBND THÀNH PHỐ HUẾ" in text
    assert "Phường Đúc, ngày 19 tháng 12 năm 2023" in text
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text and "Độc lập - Tự do - Hạnh phúc" in text
    assert "BÁO CÁO Công tác Dân vận Chính quyền năm 2023" in text
    assert "Nơi nhận:" in text and "- Lưu: VT." in text and "TM. ỦY BAN NHÂN DÂN" in text


def test_structure_i_to_iv_in_order(text):
    heads = ["I. Về công tác lãnh đạo, chỉ đạo", "II. Kết quả thực hiện", "1. Nâng cao hiệu lực",
             "2. Thực hiện mục tiêu phát triển kinh tế", "3. Kết quả thực hiện cải cách hành chính",
             "4. Nâng cao đạo đức công vụ", "5. Kết quả thực hiện công tác tiếp công dân", "III. Đánh giá chung",
             "IV. Nhiệm vụ, giải pháp thời gian tới"]
    positions = [text.find(h) for h in heads]
    assert -1 not in positions, [h for h, p in zip(heads, positions) if p < 0]
    assert positions == sorted(positions)


def test_free_text_sections_come_from_the_data(text):
    base = REPO / "data" / "reference" / "19780" / "2023" / "text"
    for md in sorted(base.glob("*.md")):
        for para in md.read_text(encoding="utf-8").strip().split("\n\n"):
            plain = re.sub(r"^\d+\. ", "", para.replace("**", ""))  # IV: a numbered list in HTML
            assert re.sub(r"\s+", " ", plain) in text, f"{md.name}: {para[:50]}…"


def test_provenance_footer(html, cli_render):
    foot = html[html.index('<footer class="provenance">'):]
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True).stdout.strip()
    m = re.search(r"git ([0-9a-f]{40})(\+dirty)?", foot)
    assert m, foot
    log = subprocess.run(["git", "log", "--format=%H", "-20"], cwd=REPO, capture_output=True, text=True).stdout
    assert m.group(1) == head or m.group(1) in log  # a commit of this checkout
    for pkg in ("danvan", "papermill", "nbconvert", "matplotlib", "pandas", "babel"):
        assert f"{pkg} {metadata.version(pkg)}" in foot, pkg
    manifest = json.loads((cli_render["html_path"].parent / "report.json").read_text(encoding="utf-8"))
    fingerprint = manifest["provenance"]["data_fingerprint"]
    assert re.fullmatch(r"[0-9a-f]{64}", fingerprint) and f"sha256:{fingerprint[:16]}" in foot
    nb_sha = __import__("hashlib").sha256(NOTEBOOK.read_bytes()).hexdigest()
    assert f"ward_report.ipynb sha256:{nb_sha[:16]}" in foot
    assert '{"unit_code": "19780", "year": 2023}' in htmllib.unescape(foot)
    assert str(cli_render["base"]) not in html  # no host paths in what the reader sees
    assert manifest["status"] == "ok" and manifest["params"] == {"unit_code": "19780", "year": 2023}


def test_size(cli_render):
    assert cli_render["html_path"].stat().st_size <= 300 * 1024


def test_executed_notebook_has_no_errors(cli_render):
    nb = nbformat.read(str(cli_render["html_path"].parent / "report.ipynb"), as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert outputs and not [o for o in outputs if o.output_type == "error"]
    assert not [o for o in outputs if o.output_type == "stream" and o.name == "stderr"]


# ---- reproducibility ---------------------------------------------------------------------------
def test_rendering_twice_is_byte_identical(cli_render, html, tmp_path, monkeypatch):
    """Two more renders in this process (warm engine) give the CLI's bytes exactly."""
    from danvan.run.render import render

    monkeypatch.setenv("DANVAN_DB", str(cli_render["base"] / "danvan.sqlite"))
    outs = []
    for i in range(2):
        outcome = render(NOTEBOOK, {"unit_code": "19780", "year": 2023}, tmp_path / f"o{i}")
        assert outcome.status == "ok", outcome.error
        outs.append(Path(outcome.files["html"]).read_bytes())
    assert outs[0] == outs[1]
    assert outs[0] == html.encode("utf-8")


def test_user_catalogue_reaches_the_report(cli_render, tmp_path, monkeypatch):
    """A user catalogue (DANVAN_CATALOGUE) adds a section and an indicator to the rendered report."""
    from danvan.run.render import render

    user = tmp_path / "my.yaml"
    user.write_text(
        'catalogue: my-ward\nversion: "1"\n'
        'sections:\n  - {code: "II.6", title: "Dân vận trong chuyển đổi số", after: "II.5"}\n'
        'indicators:\n  - {code: MY_APPS, label: "Số hộ cài ứng dụng phường", unit: "hộ", section: "II.6",'
        " kind: count}\n", encoding="utf-8")
    monkeypatch.setenv("DANVAN_DB", str(cli_render["base"] / "danvan.sqlite"))
    monkeypatch.setenv("DANVAN_CATALOGUE", str(user))
    outcome = render(NOTEBOOK, {"unit_code": "19780", "year": 2023}, tmp_path / "out")
    assert outcome.status == "ok", outcome.error
    text = _text(Path(outcome.files["html"]).read_text(encoding="utf-8"))
    i5, i6, i3 = (text.find(h) for h in ("5. Kết quả thực hiện công tác tiếp công dân",
                                         "6. Dân vận trong chuyển đổi số", "III. Đánh giá chung"))
    assert -1 < i5 < i6 < i3
    assert "Số hộ cài ứng dụng phường: chưa có số liệu." in text
    assert "my-ward@1" in text  # the catalogue version is in the provenance footer
    assert "7.967.592.178" in text  # the shipped figures are all still there


def test_fresh_kernel_gives_the_same_bytes(cli_render, html, tmp_path):
    env = _env(cli_render["base"], DANVAN_OUTPUTS=str(tmp_path / "fresh"))
    proc = subprocess.run([str(BIN / "danvan"), "render", "--unit", "19780", "--year", "2023", "--kernel", "fresh"],
                          capture_output=True, text=True, env=env, timeout=TIMEOUT)
    assert proc.returncode == 0, proc.stderr
    fresh = (tmp_path / "fresh" / "2023" / "19780" / "report.html").read_text(encoding="utf-8")
    assert fresh == html


# ---- the notebook under plain papermill --------------------------------------------------------
def _kernelspecs() -> dict:
    proc = subprocess.run([str(BIN / "jupyter"), "kernelspec", "list", "--json"], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)["kernelspecs"]


def test_python3_kernel_is_installed_in_the_environment():
    specs = _kernelspecs()
    assert "python3" in specs, (
        f"no 'python3' Jupyter kernel visible from {sys.prefix}; install it with "
        f"`{sys.executable} -m ipykernel install --prefix {sys.prefix} --name python3` (make setup does this)"
    )


@pytest.mark.parametrize("engine", [None, "danvan"], ids=["kernel", "danvan-engine"])
def test_plain_papermill(engine, cli_render, html, tmp_path):
    if "python3" not in _kernelspecs():
        pytest.fail(f"no 'python3' Jupyter kernel: run `{sys.executable} -m ipykernel install --prefix {sys.prefix}`")
    out = tmp_path / "out.ipynb"
    cmd = [str(BIN / "papermill"), str(NOTEBOOK), str(out), "-p", "year", "2023", "-r", "unit_code", "19780"]
    if engine:
        cmd += ["--engine", engine]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=_env(cli_render["base"]), cwd=str(tmp_path),
                          timeout=TIMEOUT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    nb = nbformat.read(str(out), as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert not [o for c in code for o in c.outputs if o.output_type == "error"]
    injected = [c for c in code if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1 and 'unit_code = "19780"' in injected[0].source
    # exported with the CLI's provenance, the notebook gives the CLI's report byte for byte
    from danvan.export.html import export_html

    manifest = json.loads((cli_render["html_path"].parent / "report.json").read_text(encoding="utf-8"))
    title = re.search(r"<title>(.*?)</title>", html).group(1)
    assert export_html(nb, title=htmllib.unescape(title), provenance=manifest["provenance"]) == html


def test_papermill_int_unit_code_fails_clearly(cli_render, tmp_path, monkeypatch):
    """`-p unit_code 19780` makes an int: the notebook stops at once with the fix in the message."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    monkeypatch.setenv("DANVAN_DB", str(cli_render["base"] / "danvan.sqlite"))
    with pytest.raises(PapermillExecutionError) as err:
        papermill.execute_notebook(str(NOTEBOOK), str(tmp_path / "out.ipynb"), parameters={"unit_code": 19780},
                                   engine_name="danvan", progress_bar=False, cwd=str(NOTEBOOK.parent))
    assert err.value.ename == "UnitCodeError" and "-r unit_code" in err.value.evalue  # a TypeError too
