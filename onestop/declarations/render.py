"""The declaration (tờ khai) as a PDF: the application's answers as the officers read them, by WeasyPrint.

It is what the citizen signs, so it is rendered once, in the request that shows them the signing page, and
its bytes are kept as a blob: the SHA-256 they are shown is exactly what the task signs. Nothing is fetched
from the network (the slips' local-only fetcher); the QR code of the verification link is a data URI and
the fonts (Noto, with Vietnamese) come from fontconfig.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import jinja2

from onestop.i18n import localized
from onestop.procedures.filing import form_of
from onestop.procedures.filling import display_value, visible_fields, visible_steps
from onestop.procedures.models import Application
from onestop.slips.render import LocalTime, PdfPrinter, qr_data_uri

FOLDER = Path(__file__).resolve().parents[2] / "templates" / "declarations" / "documents"


@dataclass(frozen=True)
class DeclarationPage:
    title: str
    procedure: str
    agency: str
    applicant: str
    sections: list  # [(step title, [(label, [lines])])]
    made_at: datetime
    timezone: str
    verification_code: str
    verification_url: str


def declaration_title(application: Application) -> dict:
    """ "Tờ khai cấp Phiếu lý lịch tư pháp ...": the procedure's name, as the declaration's title."""
    names = application.procedure.name or {}
    title = {}
    for lang, prefix in (("vi", "Tờ khai "), ("en", "Declaration: ")):
        name = names.get(lang) or localized(names, "vi")
        title[lang] = prefix + (name[:1].lower() + name[1:] if lang == "vi" else name)
    return title


def answer_sections(application: Application) -> list:
    """Every visible answer, in Vietnamese, the way the check-your-answers page shows it."""
    unit_names = application.procedure.province.unit_names()
    sections = []
    for step in visible_steps(form_of(application), application.answers):
        rows = []
        for spec in visible_fields(step, application.answers):
            value = application.answers.get(spec.id)
            if spec.type == "group":
                lines = [
                    "; ".join(
                        f"{localized(sub.label, 'vi')}: {display_value(sub, item.get(sub.id), unit_names)}"
                        for sub in spec.fields
                    )
                    for item in value or []
                ] or ["—"]
            else:
                lines = [display_value(spec, value, unit_names)]
            rows.append((localized(spec.label, "vi"), lines))
        sections.append((localized(step.title, "vi"), rows))
    return sections


_templates = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(FOLDER)), autoescape=True, undefined=jinja2.StrictUndefined
)
_printer = PdfPrinter(FOLDER, "declaration.css")


def page_html(page: DeclarationPage) -> str:
    when = LocalTime(page.timezone)
    return _templates.get_template("declaration.html").render(
        page=page, made_on=when.long_date(page.made_at), qr=qr_data_uri(page.verification_url)
    )


def render_declaration_pdf(page: DeclarationPage) -> bytes:
    return _printer.pdf(page_html(page))
