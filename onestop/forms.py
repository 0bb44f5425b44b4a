"""Shared form pieces."""

from flask_babel import lazy_gettext as _l
from wtforms.validators import DataRequired, Length

REQUIRED = DataRequired(message=_l("This field is required."))


def max_length(n: int) -> Length:
    return Length(max=n, message=_l("Use at most %(max)d characters."))
