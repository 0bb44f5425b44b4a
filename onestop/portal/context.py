from flask import g

from onestop.provinces.models import Province
from onestop.provinces.services import served_province


def current_province() -> Province:
    """The served province, read once per request."""
    if "province" not in g:
        g.province = served_province()
    return g.province
