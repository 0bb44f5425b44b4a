"""Province packs through the real loader: two provinces side by side, idempotent re-loads, new
procedure versions, deactivation, and broken packs that load nothing and say where each problem is.

Loader messages may be English or Vietnamese (the UI default); the tests check files, lines and values.
"""

import re
import shutil
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from onestop.accounts.models import Role, User
from onestop.extensions import db
from onestop.procedures.models import Procedure
from onestop.provinces.models import Agency, CalendarDay, Province
from onestop.provinces.pack import PackInvalid, read_pack
from onestop.provinces.services import apply_pack, served_province
from tests.conftest import DEMO_PACK, ROOT

HAILAM_PACK = ROOT / "provinces" / "hailam"
PROBLEM = re.compile(r"^\s+(?P<file>[\w./-]+\.yaml|procedures/):(?P<line>\d+): \S", re.MULTILINE)


@pytest.fixture(scope="session")
def hailam_pack():
    return read_pack(HAILAM_PACK)


@pytest.fixture
def hailam(app, hailam_pack):
    apply_pack(hailam_pack)
    db.session.commit()
    return served_province("HL")


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()

    def _invoke(command: str, path: Path):
        return runner.invoke(args=["province", command, str(path)])

    return _invoke


@pytest.fixture
def demo_copy(tmp_path):
    """A copy of the demo pack to edit."""
    return Path(shutil.copytree(DEMO_PACK, tmp_path / "pack"))


# --- helpers -----------------------------------------------------------------------------------


def row_counts() -> dict[str, int]:
    return {t.name: db.session.scalar(select(func.count()).select_from(t)) for t in db.metadata.sorted_tables}


def snapshot() -> dict:
    """Everything a no-op load must leave alone: row counts, procedure versions, province stamps."""
    return {
        "rows": row_counts(),
        "procedures": {
            (p.province_id, p.code): (p.version, len(p.versions), p.updated_at, p.is_active)
            for p in db.session.scalars(select(Procedure))
        },
        "provinces": {p.code: (p.loaded_at, p.catalogue_revision) for p in db.session.scalars(select(Province))},
    }


def procedure(province_code: str, code: str) -> Procedure:
    return db.session.scalar(
        select(Procedure)
        .join(Province, Province.id == Procedure.province_id)
        .where(Province.code == province_code, Procedure.code == code)
    )


def agency(province_code: str, code: str) -> Agency:
    return db.session.scalar(
        select(Agency)
        .join(Province, Province.id == Agency.province_id)
        .where(Province.code == province_code, Agency.code == code)
    )


def problems(output: str) -> list[tuple[str, int]]:
    """The (file, line) of every problem the CLI printed, one indented line each."""
    found = sorted((m["file"], int(m["line"])) for m in PROBLEM.finditer(output))
    assert len(found) == sum(line.startswith("  ") for line in output.splitlines()), output
    return found


def line_of(text: str, needle: str, after: int = 0) -> int:
    """The 1-based number of the first line after line `after` that contains `needle`."""
    for number, line in enumerate(text.splitlines(), start=1):
        if number > after and needle in line:
            return number
    raise AssertionError(f"{needle!r} is not in the text")


def edit(pack: Path, name: str, old: str, new: str) -> str:
    """Replace the only occurrence of `old` in a pack file; return the new text."""
    path = pack / name
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} is not unique in {name}"
    text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")
    return text


def contrast_with_white(colour: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    red, green, blue = (channel(int(colour[i : i + 2], 16)) for i in (1, 3, 5))
    luminance = 0.2126 * red + 0.7152 * green + 0.0722 * blue
    return 1.05 / (luminance + 0.05)


# --- two provinces, idempotent loads -----------------------------------------------------------


def test_both_packs_load_through_the_cli_and_coexist(cli):
    for path in (DEMO_PACK, HAILAM_PACK):
        result = cli("check", path)
        assert result.exit_code == 0, result.output
    assert cli("load", DEMO_PACK).exit_code == 0
    result = cli("load", HAILAM_PACK)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("HL:")

    provinces = {p.code: p for p in db.session.scalars(select(Province))}
    assert set(provinces) == {"MS", "HL"}
    for code, agencies, procedures, staff in (("MS", 14, 6, 26), ("HL", 7, 4, 5)):
        province_id = provinces[code].id
        assert db.session.scalar(select(func.count(Agency.id)).where(Agency.province_id == province_id)) == agencies
        assert (
            db.session.scalar(select(func.count(Procedure.id)).where(Procedure.province_id == province_id))
            == procedures
        )
        assert db.session.scalar(select(func.count(User.id)).where(User.province_id == province_id)) == staff
    # The same national procedure lives in both provinces, each with its own row and version.
    for code in ("1.001612", "1.004222", "2.000635"):
        assert procedure("MS", code).id != procedure("HL", code).id
        assert procedure("MS", code).version == procedure("HL", code).version == 1


@pytest.mark.parametrize("first, second", [("MS", "HL"), ("HL", "MS")])
def test_loading_a_pack_again_changes_nothing(cli, first, second):
    packs = {"MS": DEMO_PACK, "HL": HAILAM_PACK}
    for code in (first, second):
        assert cli("load", packs[code]).exit_code == 0
    before = snapshot()

    for code in (first, second, first):
        result = cli("load", packs[code])
        assert result.exit_code == 0, result.output
        assert result.output.strip() == f"{code}: không có thay đổi."
        assert snapshot() == before
    report = apply_pack(read_pack(packs[second]))
    assert not report.changed and not report.created and not report.updated and not report.deactivated


# --- the second province differs ---------------------------------------------------------------


def test_hai_lam_has_its_own_branding_hours_and_logo(demo, hailam):
    assert hailam.identifier == "000.00.00.H98"
    assert hailam.name == {"vi": "Tỉnh Hải Lam", "en": "Hai Lam Province"}
    assert hailam.branding["primary_colour"] == "#00606b" != demo.branding["primary_colour"]
    assert hailam.branding["accent_colour"] != demo.branding["accent_colour"]
    # White text sits on the primary colour (header, buttons): WCAG AA needs 4.5:1.
    assert contrast_with_white(hailam.branding["primary_colour"]) >= 4.5
    assert hailam.working_hours == [{"start": "07:00", "end": "11:30"}, {"start": "13:00", "end": "16:30"}]
    assert hailam.cutoff_time == "16:00" != demo.cutoff_time
    assert hailam.logo == (HAILAM_PACK / "logo.svg").read_bytes() != demo.logo
    assert hailam.logo_type == "image/svg+xml"
    assert len(hailam.logo) < 2048


def test_hai_lam_has_its_own_agencies_staff_and_calendar(demo, hailam):
    codes = {a.code for a in hailam.agencies}
    assert len(codes) == 7 < len(demo.agencies)
    assert all(code.endswith(".H98") for code in codes)
    assert agency("HL", "001.00.31.H98").parent.code == "000.00.02.H98"
    assert agency("HL", "000.00.03.H98") is None  # no Department of Justice here

    staff = list(db.session.scalars(select(User).where(User.province_id == hailam.id)))
    assert sorted(u.role for u in staff) == sorted(r.value for r in Role if r is not Role.CITIZEN)
    assert all(u.email.endswith("@hailam.example") and u.password_hash is None for u in staff)

    days = {d.day: d.kind for d in db.session.scalars(select(CalendarDay).where(CalendarDay.province_id == hailam.id))}
    assert days == {
        date(2027, 3, 16): "holiday",
        date(2027, 3, 15): "day_off",
        date(2027, 3, 27): "working_day",
    }
    demo_days = set(db.session.scalars(select(CalendarDay.day).where(CalendarDay.province_id == demo.id)))
    assert demo_days and not demo_days & set(days)


def test_hai_lam_charges_its_own_household_business_fee(demo, hailam):
    def fee(province_code: str) -> int:
        return procedure(province_code, "1.001612").definition["fees"]["items"][0]["amount"]

    assert fee("MS") == 100_000
    assert fee("HL") == 50_000
    assert procedure("HL", "1.001612").receiving_agency.code == "000.00.30.H98"


def test_served_province_is_the_one_named_else_the_first_loaded(app, hailam, demo, monkeypatch):
    assert served_province("HL").code == "HL"
    assert served_province("MS").code == "MS"
    monkeypatch.setitem(app.config, "PROVINCE", "")
    assert served_province().code == "HL"  # loaded first
    monkeypatch.setitem(app.config, "PROVINCE", "MS")
    assert served_province().code == "MS"


def test_portal_serves_hai_lam_when_province_is_hl(app, client, demo, hailam, monkeypatch):
    monkeypatch.setitem(app.config, "PROVINCE", "HL")
    css = client.get("/theme.css").get_data(as_text=True)
    assert "--primary: #00606b" in css and "--accent: #b45309" in css

    home = client.get("/").get_data(as_text=True)
    assert "Hải Lam" in home and "Minh Sơn" not in home

    logo = client.get("/branding/logo")
    assert logo.status_code == 200 and logo.data == (HAILAM_PACK / "logo.svg").read_bytes()

    page = client.get("/procedures/dang-ky-thanh-lap-ho-kinh-doanh").get_data(as_text=True)
    assert "50.000 đ" in page and "100.000 đ" not in page
    assert "Ủy ban nhân dân phường Cửa Lam" in page


# --- edits: versions and deactivation ----------------------------------------------------------


def _fee(definition: dict) -> int:
    return definition["fees"]["items"][0]["amount"]


def _summary(definition: dict) -> str:
    return definition["summary"]["vi"]


@pytest.mark.parametrize(
    "old, new, read, before, after",
    [
        ("amount: 100000", "amount: 120000", _fee, 100_000, 120_000),
        ("vi: Đăng ký một hộ", "vi: Đăng ký ngay một hộ", _summary, "Đăng ký một hộ", "Đăng ký ngay một hộ"),
    ],
    ids=["fee", "summary"],
)
def test_an_edited_procedure_gets_version_2_and_keeps_version_1(app, demo_copy, old, new, read, before, after):
    apply_pack(read_pack(demo_copy))
    db.session.commit()
    edited = procedure("MS", "1.001612")
    first = edited.versions[0]
    kept = (first.id, first.content_hash, first.definition)
    others = set(db.session.scalars(select(Procedure.code).where(Procedure.code != "1.001612")))

    edit(demo_copy, "procedures/household-business.yaml", old, new)
    report = apply_pack(read_pack(demo_copy))
    db.session.commit()

    assert report.updated == {"procedure": 1} and not report.created and not report.deactivated
    edited = procedure("MS", "1.001612")
    assert edited.version == 2
    assert [v.number for v in edited.versions] == [1, 2]
    assert (edited.versions[0].id, edited.versions[0].content_hash, edited.versions[0].definition) == kept
    assert edited.versions[1].definition == edited.definition
    assert str(read(kept[2])).startswith(str(before))
    assert str(read(edited.definition)).startswith(str(after))
    assert {p.code: (p.version, len(p.versions)) for p in db.session.scalars(select(Procedure))} == {
        "1.001612": (2, 2),
        **dict.fromkeys(others, (1, 1)),
    }
    # Loading the edited pack again is a no-op.
    assert not apply_pack(read_pack(demo_copy)).changed


def test_a_removed_procedure_is_deactivated_not_deleted(cli, client, demo_copy):
    assert cli("load", demo_copy).exit_code == 0
    slug = "/procedures/cap-phieu-ly-lich-tu-phap"
    assert client.get(slug).status_code == 200
    rows = row_counts()

    removed = demo_copy / "procedures" / "criminal-record-certificate.yaml"
    text = removed.read_text(encoding="utf-8")
    removed.unlink()
    result = cli("load", demo_copy)
    assert result.exit_code == 0, result.output

    gone = procedure("MS", "MS.LLTP.01")
    assert gone is not None and not gone.is_active and gone.version == 1 and len(gone.versions) == 1
    assert row_counts() == rows
    assert "Phiếu lý lịch tư pháp" not in client.get("/procedures").get_data(as_text=True)
    assert client.get(slug).status_code == 404

    # Putting the file back brings the same procedure back, still at version 1.
    removed.write_text(text, encoding="utf-8")
    assert cli("load", demo_copy).exit_code == 0
    back = procedure("MS", "MS.LLTP.01")
    assert back.id == gone.id and back.is_active and back.version == 1
    assert client.get(slug).status_code == 200


def test_a_removed_agency_is_deactivated_not_deleted(cli, demo_copy):
    assert cli("load", demo_copy).exit_code == 0
    rows = row_counts()
    text = (demo_copy / "agencies.yaml").read_text(encoding="utf-8")
    # The commune police: its commune falls back to the provincial police, which serves the whole province.
    start = text.index('  - code: "001.00.31.H99"')
    end = text.index('  - code: "000.00.32.H99"')
    (demo_copy / "agencies.yaml").write_text(text[:start] + text[end:], encoding="utf-8")

    result = cli("load", demo_copy)
    assert result.exit_code == 0, result.output
    # Only its link to the procedure whose residence step it could take goes: it takes no step now.
    assert row_counts() == {**rows, "procedure_agency": rows["procedure_agency"] - 1}
    assert not agency("MS", "001.00.31.H99").is_active
    assert all(a.is_active for a in db.session.scalars(select(Agency)) if a.code != "001.00.31.H99")


# --- broken packs ------------------------------------------------------------------------------


def invalid_yaml(pack: Path) -> list[tuple[str, int]]:
    name = "procedures/household-business.yaml"
    text = edit(pack, name, "sector: kinh-doanh\n", "sector: kinh-doanh: cá thể\n")
    return [(name, line_of(text, "sector: kinh-doanh: cá thể"))]


def missing_result(pack: Path) -> list[tuple[str, int]]:
    name = "procedures/civil-status-extract-copy.yaml"
    path = pack / name
    text = path.read_text(encoding="utf-8")
    text = text[: text.index("result:\n")] + text[text.index("legal_basis:") :]
    path.write_text(text, encoding="utf-8")
    # A missing key is reported where its mapping starts: here the file's first key.
    return [(name, line_of(text, "code:"))]


def misspelt_key(pack: Path) -> list[tuple[str, int]]:
    name = "procedures/household-business.yaml"
    text = edit(pack, name, "summary:\n", "summery:\n")
    return [(name, line_of(text, "code:")), (name, line_of(text, "summery:"))]


def unknown_sector(pack: Path) -> list[tuple[str, int]]:
    name = "procedures/birth-registration.yaml"
    text = edit(pack, name, "sector: ho-tich\n", "sector: hotich\n")
    return [(name, line_of(text, "sector: hotich"))]


def unknown_receiving_agency(pack: Path) -> list[tuple[str, int]]:
    name = "procedures/birth-registration.yaml"
    text = edit(pack, name, 'receiving_agency: "000.00.30.H99"', 'receiving_agency: "000.00.39.H99"')
    return [(name, line_of(text, "000.00.39.H99"))]


def unknown_document_type(pack: Path) -> list[tuple[str, int]]:
    name = "procedures/birth-registration.yaml"
    text = edit(pack, name, "- type: giay-chung-sinh\n", "- type: giay-chung-sinh-cu\n")
    return [(name, line_of(text, "giay-chung-sinh-cu"))]


def duplicate_agency_code(pack: Path) -> list[tuple[str, int]]:
    text = edit(pack, "agencies.yaml", 'code: "000.00.31.H99"', 'code: "000.00.30.H99"')
    first = line_of(text, 'code: "000.00.30.H99"')
    return [("agencies.yaml", line_of(text, 'code: "000.00.30.H99"', after=first))]


def staff_without_agency(pack: Path) -> list[tuple[str, int]]:
    text = edit(pack, "staff.yaml", 'role: clerk, agency: "000.00.30.H99"}', "role: clerk}")
    return [("staff.yaml", line_of(text, "role: clerk}"))]


def weekday_as_working_day(pack: Path) -> list[tuple[str, int]]:
    text = edit(pack, "calendar.yaml", "- date: 2027-04-24", "- date: 2027-04-22")  # a Thursday
    return [("calendar.yaml", line_of(text, "2027-04-22"))]


def parent_cycle(pack: Path) -> list[tuple[str, int]]:
    # The two commune police stations are made each other's parent.
    path = pack / "agencies.yaml"
    text = path.read_text(encoding="utf-8")
    for code, other in (("001.00.30.H99", "001.00.31.H99"), ("001.00.31.H99", "001.00.30.H99")):
        parent = text.index('parent: "000.00.02.H99"', text.index(f'code: "{code}"'))
        text = text[:parent] + f'parent: "{other}"' + text[parent + len('parent: "000.00.02.H99"') :]
    path.write_text(text, encoding="utf-8")
    return [("agencies.yaml", line_of(text, f'parent: "{code}"')) for code in ("001.00.30.H99", "001.00.31.H99")]


def missing_logo(pack: Path) -> list[tuple[str, int]]:
    (pack / "logo.svg").unlink()
    text = (pack / "province.yaml").read_text(encoding="utf-8")
    return [("province.yaml", line_of(text, "logo: logo.svg"))]


def several_files(pack: Path) -> list[tuple[str, int]]:
    expected = invalid_yaml(pack) + weekday_as_working_day(pack) + missing_logo(pack)
    name = "procedures/birth-registration.yaml"
    text = edit(pack, name, "      amount: 8000\n", "")
    expected.append((name, line_of(text, "    - id: late_registration")))  # the fee item without an amount
    text = edit(pack, "staff.yaml", 'role: leader, agency: "000.00.02.H99"', 'role: leader, agency: "000.00.09.H99"')
    expected.append(("staff.yaml", line_of(text, "000.00.09.H99")))
    return expected


BROKEN = [
    invalid_yaml,
    missing_result,
    misspelt_key,
    unknown_sector,
    unknown_receiving_agency,
    unknown_document_type,
    duplicate_agency_code,
    staff_without_agency,
    weekday_as_working_day,
    parent_cycle,
    missing_logo,
    several_files,
]


@pytest.mark.parametrize("break_pack", BROKEN, ids=[f.__name__ for f in BROKEN])
def test_a_broken_pack_loads_nothing_and_points_at_each_problem(cli, demo, demo_copy, break_pack):
    expected = sorted(break_pack(demo_copy))
    before = snapshot()

    for command in ("check", "load"):
        result = cli(command, demo_copy)
        assert result.exit_code == 1
        assert problems(result.output) == expected, result.output
    assert snapshot() == before

    with pytest.raises(PackInvalid) as invalid:
        read_pack(demo_copy)
    assert sorted((p.file, p.line) for p in invalid.value.problems) == expected


def test_a_conflict_found_while_applying_rolls_everything_back(cli, demo, create_citizen):
    # The pack is valid, but one staff e-mail already belongs to a citizen: the province, its
    # agencies and calendar were already written in the transaction when this is found.
    create_citizen(email="motcua.cualam@hailam.example")
    before = snapshot()

    result = cli("load", HAILAM_PACK)

    assert result.exit_code == 1
    text = (HAILAM_PACK / "staff.yaml").read_text(encoding="utf-8")
    assert problems(result.output) == [("staff.yaml", line_of(text, "motcua.cualam@hailam.example"))]
    assert snapshot() == before
    assert db.session.scalar(select(Province).where(Province.code == "HL")) is None


# --- opening hours in the pack's languages ---------------------------------------------------------


def test_opening_hours_are_shown_in_the_readers_language_and_a_plain_string_still_loads(
    app, client, demo_copy, hailam, monkeypatch
):
    # Hai Lam writes opening hours as plain Vietnamese, as packs did before {vi, en}: read as Vietnamese.
    assert agency("HL", "000.00.30.H98").opening_hours == {"vi": "Thứ Hai – Thứ Sáu, 7:00–11:30 và 13:00–16:30"}
    # The demo's police gives both; its ward gives none and so shows the province's working hours.
    agencies = (demo_copy / "agencies.yaml").read_text(encoding="utf-8")
    ward_hours = (
        "    opening_hours:\n      vi: Thứ Hai – Thứ Sáu, 7:30–11:30 và 13:30–17:00\n"
        "      en: Monday to Friday, 7:30–11:30 and 13:30–17:00\n"
    )
    start = agencies.index('code: "000.00.30.H99"')
    agencies = agencies[:start] + agencies[start:].replace(ward_hours, "", 1)
    (demo_copy / "agencies.yaml").write_text(agencies, encoding="utf-8")
    apply_pack(read_pack(demo_copy))
    db.session.commit()
    monkeypatch.setitem(app.config, "PROVINCE", "MS")
    client.get("/lang/en?next=/")
    police = client.get("/procedures/cap-phieu-ly-lich-tu-phap").get_data(as_text=True)
    assert "Monday to Friday, 7:30–11:30 and 13:30–17:00" in police and "Thứ Hai" not in police
    ward = client.get("/procedures/dang-ky-khai-sinh").get_data(as_text=True)
    assert "Monday to Friday, 07:30–11:30, 13:30–17:00" in ward and "Thứ Hai" not in ward
    client.get("/lang/vi?next=/")
    assert "Thứ Hai – Thứ Sáu, 07:30–11:30, 13:30–17:00" in client.get("/procedures/dang-ky-khai-sinh").get_data(
        as_text=True
    )
