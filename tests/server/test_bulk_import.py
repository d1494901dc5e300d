"""Bulk import from CSV and Excel: every row or none, with a report of bad rows; a dry run
checks every row and writes nothing."""

import pytest
from openpyxl import Workbook

from server.domain.errors import InvalidInput, NotFound
from server.services import audit_trail, bulk_import, customers, meters
from tests.server import world


def write_csv(path, text):
    path.write_text(text)
    return path


def test_a_clean_csv_imports_every_meter(ctx, admin, tmp_path):
    world.build(ctx, admin)
    rows = "\n".join(f"{world.pan(n)},{world.SGC},flat,C001" for n in range(10, 20))
    path = write_csv(tmp_path / "meters.csv", f"meter,sgc,tariff,customer\n{rows}\n")
    seen = []
    report = bulk_import.import_meters(ctx, admin, path, progress=seen.append)
    assert (report.rows, report.imported, report.errors, report.committed) == (10, 10, [], True)
    assert seen[-1] == 10
    assert meters.show_meter(ctx, admin, world.pan(15)).customer_account == "C001"


def test_one_bad_row_imports_nothing_and_names_the_line(ctx, admin, tmp_path):
    world.build(ctx, admin)
    typo = world.pan(31)[:-1] + str((int(world.pan(31)[-1]) + 1) % 10)
    path = write_csv(
        tmp_path / "meters.csv",
        f"meter,sgc,tariff\n{world.pan(30)},{world.SGC},flat\n{typo},{world.SGC},flat\n"
        f"{world.pan(32)},{world.SGC},nosuch\n{world.pan(30)},{world.SGC},flat\n",
    )
    report = bulk_import.import_meters(ctx, admin, path)
    assert report.imported == 0 and not report.committed
    lines = dict(report.errors)
    assert set(lines) == {3, 4, 5}
    assert "check digit" in lines[3] and "nosuch" in lines[4] and "already registered" in lines[5]
    assert meters.list_meters(ctx, admin, limit=1000).__len__() == 2


def test_skip_bad_imports_the_good_rows(ctx, admin, tmp_path):
    world.build(ctx, admin)
    path = write_csv(
        tmp_path / "meters.csv",
        f"meter,sgc,tariff\n{world.pan(40)},{world.SGC},flat\n123,{world.SGC},flat\n",
    )
    report = bulk_import.import_meters(ctx, admin, path, skip_bad=True)
    assert report.imported == 1 and report.committed and report.errors[0][0] == 3


def test_customers_from_excel_with_opening_debt(ctx, admin, tmp_path):
    world.build(ctx, admin)
    book = Workbook()
    sheet = book.active
    sheet.append(["Account_No", "Name", "Phone", "Debt"])
    sheet.append(["C100", "Kofi", "+233 20 000 0000", "12.50"])
    sheet.append(["C101", "Ama", None, None])
    path = tmp_path / "customers.xlsx"
    book.save(path)
    report = bulk_import.import_customers(ctx, admin, path)
    assert report.imported == 2, report.errors
    from server.services import customers, ledger_check

    assert customers.get_customer(ctx, admin, "C100").debt == 1250
    assert ledger_check.check(ctx, admin).ok


def test_an_excel_meter_number_stored_as_a_number_is_refused(ctx, admin, tmp_path):
    world.build(ctx, admin)
    book = Workbook()
    book.active.append(["meter", "sgc", "tariff"])
    book.active.append([float(world.pan(60)), world.SGC, "flat"])
    path = tmp_path / "m.xlsx"
    book.save(path)
    report = bulk_import.import_meters(ctx, admin, path)
    assert report.imported == 0 and "store it as text" in report.errors[0][1]


def test_missing_columns_are_named(ctx, admin, tmp_path):
    import pytest

    from server.domain.errors import InvalidInput

    world.build(ctx, admin)
    path = write_csv(tmp_path / "m.csv", "meter,tariff\n")
    with pytest.raises(InvalidInput, match="missing column.*sgc"):
        bulk_import.import_meters(ctx, admin, path)


def test_control_characters_in_a_row_are_a_row_error(ctx, admin, tmp_path):
    world.build(ctx, admin)
    path = write_csv(tmp_path / "c.csv", "account_no,name\nC7,Bad\x00Name\nC8,Good\n")
    report = bulk_import.import_customers(ctx, admin, path)
    assert report.imported == 0 and report.errors == [
        (2, "customer name: control characters are not allowed")
    ]


def test_a_dry_run_checks_every_row_and_writes_nothing(ctx, admin, tmp_path):
    world.build(ctx, admin)
    records = audit_trail.verify(ctx, admin).records
    typo = world.pan(61)[:-1] + str((int(world.pan(61)[-1]) + 1) % 10)
    path = write_csv(
        tmp_path / "meters.csv",
        f"meter,sgc,tariff,customer\n{world.pan(60)},{world.SGC},flat,C001\n"
        f"{typo},{world.SGC},flat,\n{world.pan(62)},{world.SGC},flat,C404\n"
        f"{world.pan(60)},{world.SGC},flat,\n{world.pan(63)},{world.SGC},flat,\n",
    )
    report = bulk_import.import_meters(ctx, admin, path, dry_run=True)
    assert (report.rows, report.imported, report.would_import) == (5, 0, 0)
    assert report.dry_run and not report.committed
    lines = dict(report.errors)
    assert set(lines) == {3, 4, 5}
    assert "check digit" in lines[3] and "C404" in lines[4]
    assert "already registered" in lines[5]  # a duplicate within the file itself
    assert report.good_rows == 2
    lenient = bulk_import.import_meters(ctx, admin, path, dry_run=True, skip_bad=True)
    assert (lenient.imported, lenient.would_import, lenient.committed) == (0, 2, False)
    assert len(meters.list_meters(ctx, admin, limit=1000)) == 2
    assert audit_trail.verify(ctx, admin).records == records  # not even an audit record


def test_a_clean_dry_run_says_what_would_be_imported_then_the_import_does_it(ctx, admin, tmp_path):
    world.build(ctx, admin)
    path = write_csv(tmp_path / "people.csv", "account_no,name,debt\nC10,Ama,1.50\nC11,Kofi,\n")
    checked = bulk_import.import_customers(ctx, admin, path, dry_run=True)
    assert (checked.rows, checked.errors, checked.would_import, checked.imported) == (2, [], 2, 0)
    with pytest.raises(NotFound):
        customers.get_customer(ctx, admin, "C10")
    done = bulk_import.import_customers(ctx, admin, path)
    assert done.committed and done.imported == 2 and not done.dry_run
    assert customers.get_customer(ctx, admin, "C10").debt == 150


def test_an_upload_is_checked_before_it_is_read(ctx, admin):
    world.build(ctx, admin)
    with pytest.raises(InvalidInput, match="expected meters or customers"):
        bulk_import.import_upload(ctx, admin, "vendors", "v.csv", b"x", dry_run=True)
    with pytest.raises(InvalidInput, match="expected a .csv or .xlsx file"):
        bulk_import.import_upload(ctx, admin, "meters", "m.txt", b"x", dry_run=True)
    with pytest.raises(InvalidInput, match="the file is empty"):
        bulk_import.import_upload(ctx, admin, "meters", "m.csv", b"", dry_run=True)
    too_big = b"x" * (bulk_import.MAX_UPLOAD_BYTES + 1)
    with pytest.raises(InvalidInput, match="larger than 5 MB"):
        bulk_import.import_upload(ctx, admin, "meters", "m.csv", too_big, dry_run=True)
    upload = f"meter,sgc,tariff\n{world.pan(70)},{world.SGC},flat\n".encode()
    report = bulk_import.import_upload(ctx, admin, "meters", "m.csv", upload, dry_run=True)
    assert report.would_import == 1 and not report.committed
