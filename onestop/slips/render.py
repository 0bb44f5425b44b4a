"""Render a slip record to PDF bytes: one Jinja template per form, WeasyPrint, an embedded QR code.

Pure: no Flask app or request is needed, so a Celery task can render and store a slip. The templates
live in `templates/slips/` (one shared `base.html` and `slips.css`, one template per form); a province
restyles them by passing directories whose files take precedence (see docs/architecture.md, "Slips").

Nothing is fetched from the network while rendering: the QR code is a data URI and the fonts come
from fontconfig; any other URL a template names is refused and stops the render, because a slip
missing part of itself must not be issued.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname
from zoneinfo import ZoneInfo

import jinja2
import segno
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import FatalURLFetchingError, URLFetcher

from onestop.slips.data import (
    FORM_VERSION,
    ApologySlip,
    ControlSlip,
    ReceiptSlip,
    RefusalSlip,
    Slip,
    SupplementSlip,
)

TEMPLATE_DIR = Path(__file__).resolve().parents[2] / "templates" / "slips"
STYLESHEET = "slips.css"

_TEMPLATES: dict[type, str] = {
    ReceiptSlip: "receipt.html",
    SupplementSlip: "supplement.html",
    RefusalSlip: "refusal.html",
    ApologySlip: "apology.html",
    ControlSlip: "control.html",
}


class LocalOnlyFetcher(URLFetcher):
    """Let WeasyPrint read data URIs and files under the slip template folders, nothing else."""

    def __init__(self, folders: Sequence[Path]) -> None:
        super().__init__(allowed_protocols={"data", "file"}, allow_redirects=False)
        self._folders = [folder.resolve() for folder in folders]

    def fetch(self, url, headers=None):
        if url.startswith("file:"):
            path = Path(url2pathname(urlsplit(url).path)).resolve()
            if not any(path.is_relative_to(folder) for folder in self._folders):
                raise FatalURLFetchingError(f"Slips may not read {url}: only files beside their templates.")
        elif not url.startswith("data:"):
            raise FatalURLFetchingError(f"Slips fetch nothing from the network; refused {url}.")
        return super().fetch(url, headers)


class LocalTime:
    """Dates and times as the forms print them, in the issuing province's zone."""

    def __init__(self, timezone: str) -> None:
        self.zone = ZoneInfo(timezone)

    def _local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.zone)

    def date(self, moment: datetime) -> str:
        return f"{self._local(moment):%d/%m/%Y}"

    def time(self, moment: datetime) -> str:
        """ "09 giờ 05 phút, ngày 24/11/2026": the receipt and appointment lines of Mẫu 01."""
        local = self._local(moment)
        return f"{local:%H} giờ {local:%M} phút, ngày {local:%d/%m/%Y}"

    def long_date(self, moment: datetime) -> str:
        """ "ngày 05 tháng 02 năm 2026": days below 10 and months 1 and 2 take a leading zero, as the
        rules on administrative documents write them (so that nobody can add a digit in front)."""
        local = self._local(moment)
        month = f"{local.month:02d}" if local.month <= 2 else str(local.month)
        return f"ngày {local.day:02d} tháng {month} năm {local.year}"


def qr_data_uri(url: str) -> str:
    """The status URL as a PNG QR code: an image the PDF embeds, crisp at print size."""
    return segno.make(url, error="m", micro=False).png_data_uri(scale=6, border=4)


class _Renderer:
    """The Jinja environment for one set of template folders, and per thread its WeasyPrint tools.

    WeasyPrint's font configuration and URL fetcher keep state and are not safe to share between
    threads (gunicorn threads, Celery pools), so each thread builds its own fetcher, font
    configuration and parsed stylesheets once and keeps them for every later slip.
    """

    def __init__(self, folders: tuple[Path, ...]) -> None:
        self.folders = folders
        self.environment = jinja2.Environment(
            loader=jinja2.FileSystemLoader([str(folder) for folder in folders]),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self._per_thread = threading.local()

    def tools(self) -> tuple[LocalOnlyFetcher, list[CSS], FontConfiguration]:
        """This thread's fetcher, fonts, and every `slips.css` of the folders, ours first, so that a
        province's rules win the cascade."""
        tools = getattr(self._per_thread, "tools", None)
        if tools is None:
            fetcher = LocalOnlyFetcher(self.folders)
            fonts = FontConfiguration()
            sheets = [
                CSS(filename=str(folder / STYLESHEET), font_config=fonts, url_fetcher=fetcher)
                for folder in reversed(self.folders)
                if (folder / STYLESHEET).is_file()
            ]
            tools = self._per_thread.tools = (fetcher, sheets, fonts)
        return tools

    def html(self, slip: Slip) -> str:
        template = self.environment.get_template(_TEMPLATES[type(slip)])
        return template.render(
            slip=slip,
            header=slip.header,
            when=LocalTime(slip.header.timezone),
            qr=qr_data_uri(slip.header.status_url),
            form_version=FORM_VERSION,
        )

    def pdf(self, slip: Slip) -> bytes:
        fetcher, sheets, fonts = self.tools()
        document = HTML(string=self.html(slip), base_url=f"{self.folders[0]}/", url_fetcher=fetcher)
        return document.write_pdf(stylesheets=sheets, font_config=fonts)


class PdfPrinter:
    """HTML to PDF with one folder's files and one stylesheet, for the results and declarations: WeasyPrint's
    fetcher and fonts keep state, so each thread builds its own once (as the slips' renderer does)."""

    def __init__(self, folder: Path, stylesheet: str) -> None:
        self.folder = folder
        self.stylesheet = stylesheet
        self._per_thread = threading.local()

    def _tools(self) -> tuple[LocalOnlyFetcher, CSS, FontConfiguration]:
        tools = getattr(self._per_thread, "tools", None)
        if tools is None:
            fetcher = LocalOnlyFetcher([self.folder])
            fonts = FontConfiguration()
            sheet = CSS(filename=str(self.folder / self.stylesheet), font_config=fonts, url_fetcher=fetcher)
            tools = self._per_thread.tools = (fetcher, sheet, fonts)
        return tools

    def pdf(self, html: str) -> bytes:
        fetcher, sheet, fonts = self._tools()
        document = HTML(string=html, base_url=f"{self.folder}/", url_fetcher=fetcher)
        return document.write_pdf(stylesheets=[sheet], font_config=fonts)


@lru_cache(maxsize=8)
def _renderer(folders: tuple[Path, ...]) -> _Renderer:
    return _Renderer(folders)


def _renderer_for(template_dirs: Sequence[str | Path]) -> _Renderer:
    return _renderer((*(Path(folder).resolve() for folder in template_dirs), TEMPLATE_DIR))


def render_pdf(slip: Slip, template_dirs: Sequence[str | Path] = ()) -> bytes:
    """The slip as an A4 PDF. `template_dirs` are searched before the defaults (a province's restyle)."""
    if type(slip) not in _TEMPLATES:
        raise TypeError(f"No slip template for {type(slip).__name__}.")
    return _renderer_for(template_dirs).pdf(slip)
