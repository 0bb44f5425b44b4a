"""Catalogue (procedures and their versions) and applications (hồ sơ) filed under them."""

import onestop.datastore.models  # noqa: F401  (Document, which applications attach)
from onestop.procedures.models.application import (
    FINAL_STATES,
    Application,
    ApplicationCounter,
    ApplicationDocument,
    ApplicationEvent,
    ApplicationState,
    ResultDelivery,
)
from onestop.procedures.models.catalogue import (
    DocumentType,
    OnlineLevel,
    Procedure,
    ProcedureAgency,
    ProcedureVersion,
    Sector,
)

__all__ = [
    "FINAL_STATES",
    "Application",
    "ApplicationCounter",
    "ApplicationDocument",
    "ApplicationEvent",
    "ApplicationState",
    "DocumentType",
    "OnlineLevel",
    "Procedure",
    "ProcedureAgency",
    "ProcedureVersion",
    "ResultDelivery",
    "Sector",
]
