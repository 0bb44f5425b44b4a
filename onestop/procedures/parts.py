"""What a procedure's definition says of itself that the service index counts, worked out once when a pack
version is loaded (and kept on `procedure` and `procedure_version`) rather than by reading the JSON of every
procedure on every dashboard page.

- Filed online: the definition has a `form` (filing.py refuses to open a file for a procedure without one,
  online or at the counter: such a procedure is described on the portal and filed on paper).
- Charges a fee: its pack fee schedule (`fees`) has an item with an amount; a fee described only in words
  (`fee_note`) is not one onestop can collect, or count.
- The parts the law requires to be published (Decree 63/2010/NĐ-CP art. 8(2)), each mapped to the pack
  (docs/service-index.md, "Procedure-level indicators"): name `name`; steps `steps`; ways of filing
  `online_level`; papers to file `documents` or the `form` the applicant fills; time limit
  `processing_time.working_days` (0 is a stated same-day limit); who may file `audience`; agency
  `receiving_agency` or the receiving rule's agencies or agency kind.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from onestop.procedures.models.catalogue import OnlineLevel

PARTS = (
    ("name", _l("name")),
    ("steps", _l("steps")),
    ("ways", _l("ways of filing")),
    ("papers", _l("papers to file")),
    ("time_limit", _l("time limit")),
    ("audience", _l("who may file")),
    ("agency", _l("agency")),
)
PART_TITLES = dict(PARTS)


def has_form(definition: dict) -> bool:
    return bool(definition.get("form"))


def charges_fee(definition: dict) -> bool:
    fees = definition.get("fees")
    if not isinstance(fees, dict):
        return False
    return any(isinstance(item, dict) and (item.get("amount") or 0) > 0 for item in fees.get("items") or [])


def _says_something(value: object) -> bool:
    """A pack text ({vi, en} or plain) that is not blank."""
    if isinstance(value, dict):
        return any(isinstance(one, str) and one.strip() for one in value.values())
    return isinstance(value, str) and bool(value.strip())


def missing_parts(definition: dict) -> list[str]:
    """The keys of `PARTS` the definition leaves empty, in the law's order."""
    receiving = definition.get("receiving") or {}
    present = {
        "name": _says_something(definition.get("name")),
        "steps": any(_says_something(step) for step in definition.get("steps") or []),
        "ways": definition.get("online_level") in {level.value for level in OnlineLevel},
        "papers": bool(definition.get("documents")) or has_form(definition),
        "time_limit": isinstance((definition.get("processing_time") or {}).get("working_days"), int),
        "audience": _says_something(definition.get("audience")),
        "agency": bool(definition.get("receiving_agency") or receiving.get("agencies") or receiving.get("agency_kind")),
    }
    return [key for key, _title in PARTS if not present[key]]
