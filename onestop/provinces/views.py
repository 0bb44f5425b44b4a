from flask import Blueprint, Response, request

from onestop.assets import cache_if_current, province_fingerprint
from onestop.provinces.services import served_province

bp = Blueprint("provinces", __name__)


@bp.get("/branding/logo")
def logo():
    province = served_province()
    if not province.logo:
        return Response(status=404)
    response = Response(province.logo, mimetype=province.logo_type)
    response.set_etag(f"{province.id}-{province.loaded_at.timestamp():.0f}")
    return cache_if_current(response, province_fingerprint(province)).make_conditional(request)
