"""`flask province check PATH --dry-run`: every procedure filed on paper, nothing written."""

from sqlalchemy import func, select

from onestop.extensions import db
from onestop.procedures.models import Application
from onestop.provinces.models import Province
from tests.conftest import DEMO_PACK


def test_the_dry_run_files_one_application_per_procedure_and_writes_nothing(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["province", "check", str(DEMO_PACK), "--dry-run", "--on", "2026-12-01"])
    assert result.exit_code == 0, result.output
    out = result.output
    for code in ("1.001193", "1.001612", "1.004222", "2.000635", "MS.LLTP.01", "MS.LT.01"):
        assert code in out
    assert "reception (reception)" in out and "delivery (delivery)" in out
    assert "Mẫu 01" in out and "Mẫu 05" in out and "PROBLEM" not in out and "LỖI" not in out
    # The inter-agency birth registration passes the police and social insurance in parallel.
    block = out[out.index("MS.LT.01") :]
    assert "(coordination)" in block and "Bảo hiểm xã hội" in block
    # The criminal-record certificate: 10 working days from Tuesday 1 December 2026 (no holiday between).
    assert "15/12/2026" in out
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Province)) == 0
    assert db.session.scalar(select(func.count()).select_from(Application)) == 0


def test_a_bad_day_is_refused_plainly(app):
    result = app.test_cli_runner().invoke(args=["province", "check", str(DEMO_PACK), "--dry-run", "--on", "1/12"])
    assert result.exit_code != 0 and "YYYY-MM-DD" in result.output
