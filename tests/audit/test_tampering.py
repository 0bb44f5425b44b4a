"""`flask audit verify` finds every kind of tampering and names the first broken link.

The tampering is done the way someone with rights on the database would: plain SQL, and on PostgreSQL
the append-only trigger switched off first (`ALTER TABLE ... DISABLE TRIGGER`).
"""

import hashlib
import threading

import pytest
from sqlalchemy import delete, select, text, update

from onestop.accounts.models import User
from onestop.audit.models import AuditHead, AuditRecord
from onestop.audit.services import Break, canonical, record, verify_chain
from onestop.datastore.models import Document
from onestop.datastore.services import read_document
from onestop.extensions import db
from tests.conftest import login
from tests.filing import fill_all_steps, pdf_bytes, send, upload

records = AuditRecord.__table__
head = AuditHead.__table__
LENGTH = 6


@pytest.fixture
def chain(app):
    """Six records, each committed in its own transaction as requests would."""
    for number in range(1, LENGTH + 1):
        record("application.submit", "application", 100 + number, actor_id=number, reason=f"lần {number}")
        db.session.commit()


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()
    return lambda *args: runner.invoke(args=["audit", *args])


def tamper(*statements) -> None:
    db.session.commit()  # the test's own session must not hold a lock on the table
    with db.engine.begin() as connection:
        on_postgresql = connection.dialect.name == "postgresql"
        if on_postgresql:
            connection.execute(text("ALTER TABLE audit_record DISABLE TRIGGER audit_record_append_only"))
        for statement in statements:
            connection.execute(statement)
        if on_postgresql:
            connection.execute(text("ALTER TABLE audit_record ENABLE TRIGGER audit_record_append_only"))


def row(sequence: int):
    return db.session.execute(select(records).where(records.c.sequence == sequence)).one()


def rehashed(sequence: int, previous_hash: str | None = None, **changes) -> dict:
    """The record's columns after an edit, with its hash recomputed by someone who read the source code."""
    columns = row(sequence)._asdict() | changes
    if previous_hash is not None:
        columns["previous_hash"] = previous_hash
    serialised = canonical(**{key: value for key, value in columns.items() if key != "hash"})
    return columns | {"hash": hashlib.sha256(serialised).hexdigest()}


def rewrite_from(sequence: int, **changes) -> None:
    """Edit one record, then recompute every later link and the head: a chain consistent with itself."""
    statements, previous = [], row(sequence - 1).hash if sequence > 1 else "0" * 64
    for number in range(sequence, LENGTH + 1):
        columns = rehashed(number, previous, **(changes if number == sequence else {}))
        statements.append(update(records).where(records.c.sequence == number).values(**columns))
        previous = columns["hash"]
    statements.append(update(head).values(hash=previous))
    tamper(*statements)


def broken(verification) -> tuple[int, Break]:
    return verification.broken_at, verification.problem


def test_an_intact_chain_verifies_and_counts_its_records(chain, cli):
    result = cli("verify")
    assert result.exit_code == 0 and f" {LENGTH} " in result.output
    assert verify_chain().checked == LENGTH


def test_an_edited_record_is_the_first_broken_link(chain, cli):
    tamper(update(records).where(records.c.sequence == 3).values(payload={"reason": "đã sửa"}))
    assert broken(verify_chain()) == (3, Break.HASH_MISMATCH)
    result = cli("verify")
    assert result.exit_code == 1 and "#3" in result.output and "#4" not in result.output


def test_an_edited_record_with_its_hash_recomputed_breaks_the_next_link(chain, cli):
    columns = rehashed(3, actor_id=99)
    tamper(update(records).where(records.c.sequence == 3).values(**columns))
    assert broken(verify_chain()) == (4, Break.PREVIOUS_HASH_MISMATCH)
    assert cli("verify").exit_code == 1


@pytest.mark.parametrize("deleted", [1, 3])
def test_a_deleted_record_leaves_a_gap(chain, cli, deleted):
    tamper(delete(records).where(records.c.sequence == deleted))
    assert broken(verify_chain()) == (deleted, Break.SEQUENCE_GAP)
    result = cli("verify")
    assert result.exit_code == 1 and f"#{deleted}:" in result.output


def test_deleting_the_newest_record_is_caught_by_the_head(chain, cli):
    tamper(delete(records).where(records.c.sequence == LENGTH))
    assert broken(verify_chain()) == (LENGTH, Break.HEAD_MISMATCH)
    assert cli("verify").exit_code == 1


@pytest.mark.parametrize("moved_to", [0, 3])
def test_a_head_moved_back_over_records_still_there_is_reported(chain, moved_to):
    tamper(update(head).values(sequence=moved_to, hash=row(moved_to).hash if moved_to else "0" * 64))
    assert broken(verify_chain()) == (moved_to + 1, Break.HEAD_MISMATCH)


def test_a_deleted_head_is_reported(chain):
    tamper(delete(head))
    assert broken(verify_chain()) == (LENGTH, Break.HEAD_MISSING)


def test_an_anchor_kept_outside_catches_newest_records_deleted_with_the_head_rewound(chain, cli):
    anchor = cli("head").output.strip()
    assert anchor == f"{LENGTH}:{row(LENGTH).hash}"
    previous = row(LENGTH - 1)
    tamper(
        delete(records).where(records.c.sequence == LENGTH),
        update(head).values(sequence=previous.sequence, hash=previous.hash),
    )
    # The database alone now looks consistent; the anchor written down earlier does not match it.
    assert verify_chain().is_intact
    assert broken(verify_chain(anchors=[(LENGTH, anchor.split(":")[1])])) == (LENGTH, Break.ANCHOR_MISMATCH)
    result = cli("verify", "--anchor", anchor)
    assert result.exit_code == 1 and f"#{LENGTH}:" in result.output
    assert cli("verify", "--anchor", "six:abc").exit_code == 2


def test_without_a_key_a_rewritten_chain_is_caught_only_by_an_anchor(chain, cli):
    anchor = cli("head").output.strip()
    rewrite_from(3, payload={"reason": "viết lại"})
    assert verify_chain().is_intact
    assert cli("verify", "--anchor", anchor).exit_code == 1


def test_with_a_key_a_rewritten_chain_breaks_at_the_edited_record(app, monkeypatch, cli):
    monkeypatch.setitem(app.config, "AUDIT_CHAIN_KEY", "khóa-chỉ-máy-chủ-ứng-dụng-biết")
    for number in range(1, LENGTH + 1):
        record("document.read", "document", number, actor_id=7)
        db.session.commit()
    assert verify_chain().is_intact
    rewrite_from(3, actor_id=8)
    assert broken(verify_chain()) == (3, Break.HASH_MISMATCH)


def test_a_key_added_to_a_running_installation_seals_the_records_from_then_on(app, monkeypatch):
    for number in range(1, 4):
        record("document.read", "document", number)
        db.session.commit()
    monkeypatch.setitem(app.config, "AUDIT_CHAIN_KEY", "khóa-mới")
    monkeypatch.setitem(app.config, "AUDIT_CHAIN_KEY_SINCE", 4)
    for number in range(4, LENGTH + 1):
        record("document.read", "document", number)
        db.session.commit()
    assert verify_chain().checked == LENGTH
    # Records from 4 on were sealed with the key: a plain SHA-256 over an edit no longer fits.
    columns = rehashed(5, subject_id=50)
    tamper(update(records).where(records.c.sequence == 5).values(**columns))
    assert broken(verify_chain()) == (5, Break.HASH_MISMATCH)


def test_reordered_records_are_caught(chain):
    tamper(
        update(records).where(records.c.sequence == 2).values(sequence=-2),
        update(records).where(records.c.sequence == 4).values(sequence=2),
        update(records).where(records.c.sequence == -2).values(sequence=4),
    )
    assert broken(verify_chain()) == (2, Break.HASH_MISMATCH)


def test_only_the_first_of_several_broken_links_is_reported(chain, cli):
    tamper(
        update(records).where(records.c.sequence == 5).values(action="application.accept"),
        delete(records).where(records.c.sequence == 2),
    )
    assert broken(verify_chain()) == (2, Break.SEQUENCE_GAP)
    result = cli("verify")
    assert "#2:" in result.output and "#5" not in result.output


def test_the_walk_reads_in_batches_across_their_borders(chain, cli):
    assert verify_chain(batch_size=2).checked == LENGTH
    assert cli("verify", "--batch-size", "4").exit_code == 0
    tamper(delete(records).where(records.c.sequence == 4))
    assert broken(verify_chain(batch_size=3)) == (4, Break.SEQUENCE_GAP)
    assert broken(verify_chain(batch_size=2)) == (4, Break.SEQUENCE_GAP)


def test_an_empty_chain_is_intact(app, cli):
    result = cli("verify")
    assert result.exit_code == 0 and " 0 " in result.output
    assert cli("head").output.strip() == "0:" + "0" * 64


def test_the_application_cannot_edit_or_delete_records(chain):
    first = db.session.get(AuditRecord, 1)
    first.action = "application.refuse"
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(AuditRecord, 2))
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.flush()
    db.session.rollback()
    assert verify_chain().is_intact


@pytest.mark.parametrize(
    "statement",
    [
        update(records).where(records.c.sequence == 3).values(action="x"),
        delete(records).where(records.c.sequence == 3),
    ],
)
def test_postgresql_refuses_updates_and_deletes_while_the_trigger_is_on(chain, statement):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the append-only trigger is PostgreSQL's")
    with pytest.raises(Exception, match="append-only"), db.engine.begin() as connection:
        connection.execute(statement)
    assert verify_chain().is_intact


# --- concurrency -------------------------------------------------------------------------------


WRITERS = 10


def test_concurrent_writers_keep_the_chain_a_single_line(app, demo, create_citizen):
    """Ten requests read a document and append at the same moment: ten records, one chain, no gap."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time; the race needs PostgreSQL's concurrent sessions")
    citizen = create_citizen()
    client = app.test_client()
    login(client, citizen.email)
    application_id = fill_all_steps(client)
    upload(client, application_id, "the-can-cuoc", pdf_bytes())
    send(client, application_id)
    document_id = db.session.scalar(select(Document.id))
    before = verify_chain().checked
    owner_id = citizen.id  # the test's session and its objects stay in this thread
    db.session.commit()

    start = threading.Barrier(WRITERS)
    failures = []

    def read_at_once(number: int) -> None:
        with app.app_context():
            try:
                owner = db.session.get(User, owner_id)
                start.wait(timeout=30)
                if number % 2:
                    _document, stream = read_document(owner, document_id, "download by owner")
                    stream.close()
                else:
                    record("test.concurrent", "document", document_id, owner.id, writer=number)
                db.session.commit()
            except Exception as error:  # reported below, with the writer's number
                failures.append((number, repr(error)))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=read_at_once, args=(number,)) for number in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    verification = verify_chain()
    assert verification.is_intact and verification.checked == before + WRITERS
    appended = db.session.scalars(select(AuditRecord).where(AuditRecord.sequence > before)).all()
    assert sorted(r.payload.get("writer", -1) for r in appended) == [-1] * 5 + [0, 2, 4, 6, 8]


def test_the_chain_is_locked_only_while_a_transaction_commits(app, demo):
    """A request that has audited something but not committed yet does not hold up the others."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("on SQLite any write holds the database's single write lock until the commit")
    record("test.slow", "application", 1)
    finished = threading.Event()

    def other_request() -> None:
        with app.app_context():
            record("test.quick", "application", 2)
            db.session.commit()
            db.session.remove()
            finished.set()

    thread = threading.Thread(target=other_request)
    thread.start()
    assert finished.wait(timeout=10), "the second transaction waited for the first one's commit"
    thread.join()
    db.session.commit()
    trail = db.session.scalars(select(AuditRecord).order_by(AuditRecord.sequence)).all()
    assert [r.action for r in trail] == ["test.quick", "test.slow"] and verify_chain().is_intact
