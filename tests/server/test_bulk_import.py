"""Bulk import from CSV and Excel: every row or none, with a report of bad rows."""

from openpyxl import Workbook

from server.services import bulk_import, meters
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
