"""`flask --app wsgi audit verify|head|show`: checking the audit chain and reading it."""

import json
import re

import click
from flask.cli import AppGroup
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from onestop.audit.services import Break, audit_records_for, chain_head, verify_chain

audit_cli = AppGroup("audit", help="Verify and read the hash-chained audit trail.")

_WHY = {
    Break.HASH_MISMATCH: _l("hash mismatch: the record was edited after it was written"),
    Break.SEQUENCE_GAP: _l("sequence gap: this record was deleted"),
    Break.PREVIOUS_HASH_MISMATCH: _l(
        "previous-hash mismatch: the record before it was replaced, or records were reordered"
    ),
    Break.HEAD_MISSING: _l("the chain head is missing: the newest records may have been deleted"),
    Break.HEAD_MISMATCH: _l("the chain head does not match the last record: the newest records were deleted"),
    Break.ANCHOR_MISMATCH: _l("the record differs from the anchor kept outside the database, or is gone"),
}
_ANCHOR = re.compile(r"^(\d+):([0-9a-f]{64})$")


def _anchor(_ctx, _param, values: tuple[str, ...]) -> list[tuple[int, str]]:
    anchors = []
    for value in values:
        match = _ANCHOR.match(value.strip().lower())
        if not match:
            raise click.BadParameter(_("Write an anchor as NUMBER:HASH, as `flask audit head` prints it."))
        anchors.append((int(match[1]), match[2]))
    return anchors


@audit_cli.command("verify")
@click.option(
    "--anchor",
    "anchors",
    multiple=True,
    callback=_anchor,
    help="NUMBER:HASH printed earlier by `flask audit head`; the record must still be there, unchanged.",
)
@click.option("--batch-size", default=2000, show_default=True, help="Records read per query.")
def verify(anchors: list[tuple[int, str]], batch_size: int) -> None:
    """Walk the whole chain; exit 1 and name the first broken link if any record was edited or deleted."""
    result = verify_chain(anchors, batch_size=batch_size)
    if result.is_intact:
        click.echo(_("The audit chain is intact: %(count)d records checked.", count=result.checked))
        return
    click.echo(
        _(
            "The audit chain is broken. First broken link at record #%(number)d: %(why)s.",
            number=result.broken_at,
            why=_WHY[result.problem],
        ),
        err=True,
    )
    click.echo(_("%(count)d records before it are intact.", count=result.checked), err=True)
    raise SystemExit(1)


@audit_cli.command("head")
def head() -> None:
    """Print the newest record as NUMBER:HASH, to keep outside the database and pass to `verify --anchor`."""
    sequence, digest = chain_head()
    click.echo(f"{sequence}:{digest}")


@audit_cli.command("show")
@click.option("--subject", required=True, help="TYPE:ID, for example application:42 or document:7.")
def show(subject: str) -> None:
    """Print the audit trail of one application, document or staff account, oldest first."""
    subject_type, _sep, subject_id = subject.partition(":")
    if not subject_id.isdigit():
        raise click.BadParameter(_("Write the subject as TYPE:ID, for example application:42."), param_hint="--subject")
    for record in audit_records_for(subject_type, int(subject_id)):
        actor = record.actor_id if record.actor_id is not None else "-"
        payload = json.dumps(record.payload, ensure_ascii=False, sort_keys=True)
        click.echo(f"#{record.sequence}\t{record.created_at:%Y-%m-%d %H:%M:%S}Z\t{actor}\t{record.action}\t{payload}")
