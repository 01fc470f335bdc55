"""Document metadata of the NĐ 30 header/end block: data first, run parameters override it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from danvan.core.errors import ParameterError
from danvan.run.params import validate_parameters

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK = REPO / "notebooks" / "ward_report.ipynb"


def test_bad_document_date_is_refused_before_any_kernel(store):
    with pytest.raises(ParameterError, match="YYYY-MM-DD"):
        validate_parameters(NOTEBOOK, {"unit_code": "19780", "year": 2023, "doc_date": "19/12/2023",
                                       "db": str(store.path)})


@pytest.mark.slow
def test_run_parameters_override_stored_metadata(store, tmp_path):
    from danvan.run.render import render

    params = {"unit_code": "19780", "year": 2023, "db": str(store.path), "doc_number": "125",
              "doc_date": "2024-01-05", "signer": "Nguyễn Văn An"}
    out = render(NOTEBOOK, params, tmp_path / "out")
    assert out.status == "ok", out.error
    text = re.sub(r"<[^>]+>", " ", Path(out.files["html"]).read_text(encoding="utf-8"))
    assert "Số: 125/BC-UBND" in text
    assert "Phường Đúc, ngày 05 tháng 01 năm 2024" in text
    assert "Nguyễn Văn An" in text
    # without overrides the stored metadata (report.yaml of the reference data) is used
    plain = render(NOTEBOOK, {"unit_code": "19780", "year": 2023, "db": str(store.path)}, tmp_path / "plain")
    text = re.sub(r"<[^>]+>", " ", Path(plain.files["html"]).read_text(encoding="utf-8"))
    assert "ngày 19 tháng 12 năm 2023" in text and "Nguyễn Văn An" not in text
