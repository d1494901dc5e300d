"""Importing meters and customers: the preview lists bad rows and writes nothing; the
import then writes all rows, or only the good ones when asked."""

import io
import re

from openpyxl import Workbook

from server import demo
from server.services import meters
from tests.web.browsing import csrf_of
from tests.web.pages_html import text_of


def _upload(client, kind: str, filename: str, content: bytes):
    page = client.get(f"/imports?kind={kind}")
    return client.post(
        "/imports/preview",
        data={"kind": kind, "csrf_token": csrf_of(page.text)},
        files={"file": (filename, content, "application/octet-stream")},
    )


def _meter_count(world) -> int:
    return len(meters.list_meters(world.ctx, demo.SYSTEM, limit=1000))


def _audit_count(client) -> int:
    return int(re.search(r"all (\d+) records", client.get("/audit").text).group(1))


METERS_WITH_A_BAD_ROW = (
    "meter,sgc,tariff,customer\n"
    f"{demo.pan(20)},123456,residential,C-1001\n"
    f"{demo.pan(21)[:-1]}0,123456,residential,\n"  # wrong check digit
    f"{demo.pan(22)},123456,residential,\n"
).encode()


def test_a_file_with_a_bad_row_is_previewed_with_the_row_named_and_nothing_written(as_admin, world):
    before, audit_before = _meter_count(world), _audit_count(as_admin)
    page = _upload(as_admin, "meters", "meters.csv", METERS_WITH_A_BAD_ROW)
    assert page.status_code == 200
    bad = text_of(page.text, "bad-rows")
    assert "1 row(s) would be refused" in bad
    assert "line 3:" in bad and "check digit should be" in bad
    assert "line 2" not in bad and "line 4" not in bad
    assert "Nothing has been written yet." in page.text
    assert _meter_count(world) == before
    assert _audit_count(as_admin) == audit_before
    assert demo.pan(20) in page.text  # the sample shows the rows as read


def test_after_the_preview_the_good_rows_are_imported_only_when_asked(as_admin, world):
    before = _meter_count(world)
    page = _upload(as_admin, "meters", "meters.csv", METERS_WITH_A_BAD_ROW)
    token = re.search(r'name="token" value="([^"]+)"', page.text).group(1)
    done = as_admin.post(
        "/imports/run", data={"token": token, "skip_bad": "yes", "csrf_token": csrf_of(page.text)}
    )
    assert done.status_code == 200
    assert text_of(done.text, "import-result") == "2 meters imported; 1 bad row(s) skipped."
    assert _meter_count(world) == before + 2
    # The same preview cannot be imported a second time.
    again = as_admin.post(
        "/imports/run", data={"token": token, "skip_bad": "yes", "csrf_token": csrf_of(page.text)}
    )
    assert again.status_code == 404 and "upload the file again" in again.text


def test_a_clean_file_is_previewed_then_imported_whole(as_admin, world):
    content = (
        b"account_no,name,phone,debt\n"
        b"C-2001,Esi Boateng,0244000001,\n"
        b"C-2002,Musa Bello,,12.50\n"
    )
    page = _upload(as_admin, "customers", "people.csv", content)
    assert "Every row passed the checks." in page.text
    assert as_admin.get("/customers?q=C-20").text.count("/customers/C-20") == 0
    token = re.search(r'name="token" value="([^"]+)"', page.text).group(1)
    done = as_admin.post("/imports/run", data={"token": token, "csrf_token": csrf_of(page.text)})
    assert text_of(done.text, "import-result") == "2 customers imported."
    listed = as_admin.get("/customers?q=C-20").text
    assert "Esi Boateng" in listed and "12.50" in listed


def test_an_excel_file_is_checked_the_same_way(as_admin, world):
    book = Workbook()
    sheet = book.active
    sheet.append(["meter", "sgc", "tariff"])
    sheet.append([demo.pan(30), "123456", "residential"])
    sheet.append([demo.pan(31), "123456", "no-such-tariff"])
    buffer = io.BytesIO()
    book.save(buffer)
    before = _meter_count(world)
    page = _upload(as_admin, "meters", "meters.xlsx", buffer.getvalue())
    bad = text_of(page.text, "bad-rows")
    assert "line 3:" in bad and "no-such-tariff" in bad
    assert _meter_count(world) == before


def test_a_file_missing_a_column_is_refused_before_any_row(as_admin):
    page = _upload(as_admin, "meters", "meters.csv", b"meter,tariff\n600727000000000017,x\n")
    assert page.status_code == 422
    assert "missing column(s) sgc" in page.text


def test_only_csv_and_excel_files_are_taken(as_admin):
    page = _upload(as_admin, "meters", "meters.txt", b"meter,sgc,tariff\n")
    assert page.status_code == 422 and "expected a .csv or .xlsx file" in page.text


def test_a_duplicate_of_a_stored_meter_is_a_bad_row(as_admin):
    content = f"meter,sgc,tariff\n{demo.pan(1)},123456,residential\n".encode()
    page = _upload(as_admin, "meters", "meters.csv", content)
    assert "already registered" in text_of(page.text, "bad-rows")


def test_a_cashier_cannot_import(as_role):
    cara = as_role("cara")
    assert cara.get("/imports").status_code == 403
    answer = _upload_as(cara)
    assert answer.status_code == 403


def _upload_as(client):
    token = csrf_of(client.get("/vend").text)
    return client.post(
        "/imports/preview",
        data={"kind": "meters", "csrf_token": token},
        files={"file": ("m.csv", METERS_WITH_A_BAD_ROW, "text/csv")},
    )


def test_the_preview_is_the_services_dry_run_duplicates_within_the_file_included(as_admin, world):
    content = (
        "meter,sgc,tariff\n"
        f"{demo.pan(40)},123456,residential\n"
        f"{demo.pan(40)},123456,residential"  # the same meter again, and no final newline
    ).encode()
    before = _meter_count(world)
    page = _upload(as_admin, "meters", "meters.csv", content)
    bad = text_of(page.text, "bad-rows")
    assert "1 row(s) would be refused" in bad and "line 3:" in bad and "already registered" in bad
    assert "gridvend-preview-row" not in page.text and "line 4" not in page.text
    assert "Import the 1 good row(s)" in page.text
    assert _meter_count(world) == before
