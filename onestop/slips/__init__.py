"""The standard one-stop slips (Mẫu 01–05) as PDFs and the tracking book (Mẫu 06) as a spreadsheet.

Pure data in, bytes out: the workflow maps its models to the records of `data.py` and calls
`render_pdf(slip)` or `tracking_book_xlsx(rows, title, period)`.
"""

from onestop.slips.book import tracking_book_xlsx
from onestop.slips.data import (
    FORM_VERSION,
    ApologySlip,
    BookRow,
    Contact,
    ControlRow,
    ControlSlip,
    DocumentForm,
    Party,
    ReceiptSlip,
    ReceivedDocument,
    RefusalSlip,
    ResultDelivery,
    SlipHeader,
    StepMark,
    SupplementItem,
    SupplementSlip,
)
from onestop.slips.render import render_pdf

__all__ = [
    "FORM_VERSION",
    "ApologySlip",
    "BookRow",
    "Contact",
    "ControlRow",
    "ControlSlip",
    "DocumentForm",
    "Party",
    "ReceiptSlip",
    "ReceivedDocument",
    "RefusalSlip",
    "ResultDelivery",
    "SlipHeader",
    "StepMark",
    "SupplementItem",
    "SupplementSlip",
    "render_pdf",
    "tracking_book_xlsx",
]
