"""Who may build surveys: staff always, any other signed-in person where the province's pack allows it."""

from __future__ import annotations

from onestop.accounts.models import User
from onestop.surveys.models import Survey


def may_build(user: User, province=None) -> bool:
    """Staff may build surveys; any other signed-in person only where the province's pack allows it
    (`citizen_surveys` in province.yaml). `province` defaults to the province this installation serves."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_staff:
        return True
    if province is None:
        from onestop.portal.context import current_province

        province = current_province()
    return bool(province.citizen_surveys)


def made_by_citizen(survey: Survey) -> bool:
    """A survey a private person built: its public pages say it is not from an agency."""
    return not survey.owner.is_staff
