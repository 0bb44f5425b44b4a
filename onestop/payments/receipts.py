"""The electronic receipt (biên lai) of a payment: a PDF kept in the payer's data warehouse.

Rendered with WeasyPrint from templates/payments/receipt_pdf.html in Noto Sans, which has every
Vietnamese glyph; issued once per successful attempt (the receipt row's unique attempt decides
when two workers try at once).
"""

import io
from datetime import datetime
from functools import partial

from flask import current_app, render_template
from sqlalchemy.exc import IntegrityError

from onestop import localtime
from onestop.accounts.models import User
from onestop.datastore.backends.base import storage_from_config
from onestop.datastore.models import IssuedType, Provenance
from onestop.datastore.services import add_document
from onestop.datastore.uploads import ReceivedFile
from onestop.extensions import db
from onestop.i18n import localized
from onestop.payments.fees import dong
from onestop.payments.models import AttemptState, PaymentAttempt, PaymentReceipt
from onestop.payments.services import quote_from_order

# The receipt's title in the citizen's warehouse, as the legal form names it; pages show it in their language.
RECEIPT_TITLE = "Biên lai thu phí, lệ phí {code}"

RECEIPT_TYPE = IssuedType.RECEIPT


def receipt_number(attempt: PaymentAttempt) -> str:
    day = (attempt.finished_at or attempt.created_at).astimezone(localtime.zone())
    return f"BL-{day:%y%m%d}-{attempt.id:06d}"


def render_receipt(attempt: PaymentAttempt, number: str) -> bytes:
    order = attempt.order
    application = order.application
    paid_at: datetime = (attempt.finished_at or attempt.created_at).astimezone(localtime.zone())
    html = render_template(
        "payments/receipt_pdf.html",
        number=number,
        attempt=attempt,
        application=application,
        payer=db.session.get(User, order.payer_id),
        quote=quote_from_order(order),
        paid_at=paid_at,
        amount=dong(attempt.amount, "vi"),
        dong=partial(dong, lang="vi"),
    )
    from weasyprint import HTML

    return HTML(string=html, base_url=current_app.root_path).write_pdf()


def issue_receipt(attempt_id: int) -> PaymentReceipt | None:
    """Issue the receipt of a successful attempt unless it exists; commits."""
    attempt = db.session.get(PaymentAttempt, attempt_id)
    if attempt is None or attempt.state_enum is not AttemptState.SUCCEEDED:
        return None
    existing = db.session.scalar(db.select(PaymentReceipt).where(PaymentReceipt.attempt_id == attempt.id))
    if existing is not None:
        return existing
    number = receipt_number(attempt)
    pdf = render_receipt(attempt, number)
    stored = storage_from_config(current_app.config).put(io.BytesIO(pdf))
    application = attempt.order.application
    document = add_document(
        db.session.get(User, attempt.order.payer_id),
        RECEIPT_TYPE,
        ReceivedFile(sha256=stored.sha256, size=stored.size, content_type="application/pdf", filename=f"{number}.pdf"),
        RECEIPT_TITLE.format(code=application.code),
        provenance=Provenance.ISSUED,
        issuer=localized(application.receiving_agency.name, "vi"),
        number=number,
        issued_on=(attempt.finished_at or attempt.created_at).astimezone(localtime.zone()).date(),
        source_application_id=application.id,
    )
    receipt = PaymentReceipt(attempt_id=attempt.id, number=number, document_id=document.id)
    db.session.add(receipt)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()  # another worker issued it meanwhile; the blob is shared and stays
        return db.session.scalar(db.select(PaymentReceipt).where(PaymentReceipt.attempt_id == attempt.id))
    return receipt
