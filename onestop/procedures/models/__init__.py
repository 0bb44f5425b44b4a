"""Catalogue (procedures and their versions) and applications (hồ sơ) filed under them."""

import onestop.datastore.models  # noqa: F401  (Document, which applications attach)
from onestop.procedures.models.application import (
    DECIDED_STATES,
    FINAL_STATES,
    RUNNING_STATES,
    Application,
    ApplicationCounter,
    ApplicationDocument,
    ApplicationEvent,
    ApplicationMessage,
    ApplicationState,
    ClockEntry,
    ClockKind,
    IssuedSlip,
    ResultDelivery,
    SlipKind,
    SupplementRequest,
)
from onestop.procedures.models.catalogue import (
    DocumentType,
    OnlineLevel,
    Procedure,
    ProcedureAgency,
    ProcedureVersion,
    Sector,
)
from onestop.procedures.models.consent import CounterConsent

__all__ = [
    "DECIDED_STATES",
    "FINAL_STATES",
    "RUNNING_STATES",
    "Application",
    "ApplicationCounter",
    "ApplicationDocument",
    "ApplicationEvent",
    "ApplicationMessage",
    "ApplicationState",
    "ClockEntry",
    "ClockKind",
    "CounterConsent",
    "DocumentType",
    "IssuedSlip",
    "OnlineLevel",
    "Procedure",
    "ProcedureAgency",
    "ProcedureVersion",
    "ResultDelivery",
    "Sector",
    "SlipKind",
    "SupplementRequest",
]
