"""A result or refusal letter as a PDF: the pack's template inside the national page frame, by WeasyPrint.

The frame (`templates/results/documents/page.html`) prints the issuing agency with the province emblem, the
national motto, the place and date, the signature block, and at the foot of every page the QR code of the
verification link and the verification code, so that any result can be checked whatever its template says.
The pack's own HTML is rendered in a sandbox with the declared fields only. Nothing is fetched from the
network (the slips' URL fetcher is reused): the emblem and QR code are data URIs, fonts come from fontconfig.
Pure data in, bytes out: a Celery task and a request render alike.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import jinja2
from markupsafe import Markup

from onestop.results.packspec import template_environment
from onestop.slips.render import LocalTime, PdfPrinter, qr_data_uri

FRAME_DIR = Path(__file__).resolve().parents[2] / "templates" / "results" / "documents"


@dataclass(frozen=True)
class ResultPage:
    """Everything printed on a result; `body` is the pack's template text, `fields` its corrected values."""

    title: str
    agency: str
    parent_agency: str
    place: str
    issued_at: datetime
    timezone: str
    application_code: str
    applicant: str
    body: str
    verification_code: str
    verification_url: str
    fields: dict = field(default_factory=dict)
    emblem: bytes | None = None
    emblem_type: str = "image/svg+xml"
    signer_title: str = "THỦ TRƯỞNG CƠ QUAN"


_frames = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(FRAME_DIR)), autoescape=True, undefined=jinja2.StrictUndefined
)
_printer = PdfPrinter(FRAME_DIR, "result.css")


def page_html(page: ResultPage) -> str:
    """The whole page as HTML (the PDF is drawn from exactly this)."""
    when = LocalTime(page.timezone)
    body = (
        template_environment()
        .from_string(page.body)
        .render(
            fields=page.fields,
            applicant=page.applicant,
            application_code=page.application_code,
            agency=page.agency,
            issued_on=when.long_date(page.issued_at),
        )
    )
    emblem = None
    if page.emblem:
        emblem = f"data:{page.emblem_type};base64,{base64.b64encode(page.emblem).decode()}"
    return _frames.get_template("page.html").render(
        page=page,
        body=Markup(body),
        emblem=emblem,
        qr=qr_data_uri(page.verification_url),
        issued_on=when.long_date(page.issued_at),
    )


def render_result_pdf(page: ResultPage) -> bytes:
    return _printer.pdf(page_html(page))
