"""Applying a validated pack to the database in one transaction.

Loading is idempotent: rows are matched by their codes and only changed values are written, so a
second load of the same pack reports no change. Nothing filed is ever deleted: agencies and procedures
that leave the pack are deactivated, and an edited procedure gets a new version while applications
keep the one they were filed under.
"""

from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import delete, select

from onestop.accounts.models import Role, User
from onestop.extensions import db
from onestop.models import utcnow
from onestop.procedures import parts
from onestop.procedures import route as routes
from onestop.procedures.models import DocumentType, Procedure, ProcedureAgency, ProcedureVersion, Sector
from onestop.provinces.models import Agency, CalendarDay, DayKind, Province
from onestop.provinces.pack import Pack, PackInvalid, Problem
from onestop.text import fold


@dataclass
class LoadReport:
    province: str
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    deactivated: dict[str, int] = field(default_factory=dict)
    removed: dict[str, int] = field(default_factory=dict)

    def count(self, bucket: dict[str, int], kind: str) -> None:
        bucket[kind] = bucket.get(kind, 0) + 1

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.deactivated or self.removed)


def _assign(row, **values) -> bool:
    """Set only the values that differ; say whether anything did."""
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


def _upsert(report: LoadReport, label: str, existing, make, **values):
    if existing is None:
        row = make(**values)
        db.session.add(row)
        report.count(report.created, label)
        return row
    if _assign(existing, **values):
        report.count(report.updated, label)
    return existing


def apply_pack(pack: Pack) -> LoadReport:
    """Load a validated pack; the caller commits. Raises PackInvalid for conflicts with the database."""
    spec = pack.province
    report = LoadReport(province=spec.code)
    province = db.session.scalar(select(Province).where(Province.code == spec.code))
    province = _upsert(
        report,
        "province",
        province,
        Province,
        code=spec.code,
        identifier=spec.identifier,
        name=spec.name,
        short_name=spec.short_name,
        timezone=spec.timezone,
        working_hours=[period.model_dump() for period in spec.working_hours],
        cutoff_time=spec.cutoff_time,
        feedback_days=spec.feedback_days,
        publication_days=spec.publication_days,
        citizen_surveys=spec.citizen_surveys,
        branding=spec.branding.model_dump(exclude={"logo"}),
        contact=spec.contact.model_dump(),
        logo=pack.logo,
        logo_type=pack.logo_type,
        units=[unit.model_dump(mode="json") for unit in pack.units],
        help=pack.help.model_dump(mode="json") if pack.help is not None else {},
    )
    db.session.flush()

    agencies = _load_agencies(pack, province, report)
    _load_calendar(pack, province, report)
    _load_staff(pack, province, agencies, report)
    catalogue_changed = _load_catalogue(pack, province, agencies, report)
    if pack.messages is not None:
        from onestop.provinces.pack_messages import apply_messages

        if apply_messages(province.id, pack.messages):
            report.count(report.updated, "messages")
    if pack.ratings:
        from onestop.ratings.packspec import apply_ratings

        for _changed in range(apply_ratings(pack.ratings, province.id)):
            report.count(report.updated, "rating surveys")
    if catalogue_changed:
        province.catalogue_revision = (province.catalogue_revision or 0) + 1
    if report.changed:
        province.loaded_at = utcnow()
    db.session.flush()
    return report


def _load_agencies(pack: Pack, province: Province, report: LoadReport) -> dict[str, Agency]:
    existing = {a.code: a for a in db.session.scalars(select(Agency).where(Agency.province_id == province.id))}
    new_codes = {spec.code for spec in pack.agencies} - set(existing)
    updated_codes = set()
    for spec in pack.agencies:
        before = report.updated.get("agency", 0)
        existing[spec.code] = _upsert(
            report,
            "agency",
            existing.get(spec.code),
            Agency,
            province_id=province.id,
            code=spec.code,
            name=spec.name,
            kind=spec.kind,
            address=spec.address,
            phone=spec.phone,
            email=spec.email,
            opening_hours={lang: text for lang, text in spec.opening_hours.items() if text},
            serves=list(spec.serves),
            is_active=True,
        )
        if report.updated.get("agency", 0) != before:
            updated_codes.add(spec.code)
    db.session.flush()
    for spec in pack.agencies:
        parent_id = existing[spec.parent].id if spec.parent else None
        if _assign(existing[spec.code], parent_id=parent_id) and spec.code not in new_codes | updated_codes:
            report.count(report.updated, "agency")
    in_pack = {spec.code for spec in pack.agencies}
    for code, agency in existing.items():
        if code not in in_pack and agency.is_active:
            agency.is_active = False
            report.count(report.deactivated, "agency")
    return existing


def _load_calendar(pack: Pack, province: Province, report: LoadReport) -> None:
    wanted = {}
    for kind, entries in (
        (DayKind.HOLIDAY, pack.calendar.holidays),
        (DayKind.DAY_OFF, pack.calendar.days_off),
        (DayKind.WORKING_DAY, pack.calendar.working_days),
    ):
        for entry in entries:
            wanted[entry.date] = (kind, entry)
    existing = {d.day: d for d in db.session.scalars(select(CalendarDay).where(CalendarDay.province_id == province.id))}
    for day, (kind, entry) in wanted.items():
        _upsert(
            report,
            "calendar day",
            existing.get(day),
            CalendarDay,
            province_id=province.id,
            day=day,
            kind=kind.value,
            name=entry.name,
            source=entry.source,
        )
    gone = [day for day in existing if day not in wanted]
    if gone:
        db.session.execute(delete(CalendarDay).where(CalendarDay.province_id == province.id, CalendarDay.day.in_(gone)))
        for _day in gone:
            report.count(report.removed, "calendar day")


def _load_staff(pack: Pack, province: Province, agencies: dict[str, Agency], report: LoadReport) -> None:
    emails = [spec.email for spec in pack.staff]
    existing = {u.email: u for u in db.session.scalars(select(User).where(User.email.in_(emails)))} if emails else {}
    problems = []
    for spec in pack.staff:
        user = existing.get(spec.email)
        if user is not None and user.role == Role.CITIZEN:
            file, line = pack.origins[("staff", spec.email)]
            problems.append(
                Problem(file, line, _("The e-mail %(email)s belongs to a citizen account.", email=spec.email))
            )
            continue
        agency = agencies[spec.agency] if spec.agency else None
        if user is not None and user.province_id not in (None, province.id):
            file, line = pack.origins[("staff", spec.email)]
            problems.append(
                Problem(file, line, _("The e-mail %(email)s belongs to staff of another province.", email=spec.email))
            )
            continue
        if spec.phone:
            holder = db.session.scalar(select(User).where(User.phone == spec.phone))
            if holder is not None and holder is not user:
                file, line = pack.origins[("staff", spec.email)]
                problems.append(
                    Problem(file, line, _("The phone number %(phone)s belongs to another account.", phone=spec.phone))
                )
                continue
        _upsert(
            report,
            "staff",
            user,
            User,
            email=spec.email,
            full_name=spec.full_name,
            phone=spec.phone,
            role=spec.role,
            agency_id=agency.id if agency else None,
            province_id=province.id,
        )
    if problems:
        raise PackInvalid(problems)


def _load_catalogue(pack: Pack, province: Province, agencies: dict[str, Agency], report: LoadReport) -> bool:
    before = sum(report.created.values()) + sum(report.updated.values()) + sum(report.deactivated.values())
    sectors = {s.code: s for s in db.session.scalars(select(Sector).where(Sector.province_id == province.id))}
    for spec in pack.catalogue.sectors:
        sectors[spec.code] = _upsert(
            report, "sector", sectors.get(spec.code), Sector, province_id=province.id, code=spec.code, name=spec.name
        )
    types = {t.code: t for t in db.session.scalars(select(DocumentType).where(DocumentType.province_id == province.id))}
    for spec in pack.catalogue.document_types:
        types[spec.code] = _upsert(
            report,
            "document type",
            types.get(spec.code),
            DocumentType,
            province_id=province.id,
            code=spec.code,
            name=spec.name,
            description=spec.description or {},
        )
    db.session.flush()

    procedures = {p.code: p for p in db.session.scalars(select(Procedure).where(Procedure.province_id == province.id))}
    sector_names = {code: s.name for code, s in sectors.items()}
    for spec in pack.procedures:
        definition = spec.definition()
        involved = _involved_agencies(spec, pack)
        content_hash = spec.content_hash()
        # What a new version records beside its definition, for the dashboards.
        version_columns = {
            "announcement_number": spec.announcement.number if spec.announcement else None,
            "announced_on": spec.announcement.date if spec.announcement else None,
            "missing_parts": parts.missing_parts(definition),
        }
        procedure = procedures.get(spec.code)
        latest = procedure.versions[-1] if procedure is not None and procedure.versions else None
        values = {
            "province_id": province.id,
            "code": spec.code,
            "slug": definition["slug"],
            "sector_id": sectors[spec.sector].id,
            "receiving_agency_id": agencies[spec.receiving_agency].id if spec.receiving_agency else None,
            "online_level": spec.online_level,
            "processing_days": spec.processing_time.working_days,
            "name": spec.name,
            "summary": spec.summary,
            "search_name": _padded(" ".join(spec.name.values())),
            "search_text": _padded(
                " ".join(
                    [
                        *spec.name.values(),
                        spec.code,
                        *spec.keywords,
                        *spec.summary.values(),
                        *sector_names[spec.sector].values(),
                        *(name for code in involved["receiving"] for name in agencies[code].name.values()),
                    ]
                )
            ),
            "featured": spec.featured,
            "is_active": True,
            "has_form": parts.has_form(definition),
            "charges_fee": parts.charges_fee(definition),
            "definition": definition,
        }
        if procedure is None:
            procedure = Procedure(**values, version=1)
            db.session.add(procedure)
            db.session.flush()
            db.session.add(
                ProcedureVersion(
                    procedure=procedure, number=1, content_hash=content_hash, definition=definition, **version_columns
                )
            )
            report.count(report.created, "procedure")
        else:
            changed = _assign(procedure, **values)
            if latest is None or latest.content_hash != content_hash:
                number = (latest.number if latest else 0) + 1
                db.session.add(
                    ProcedureVersion(
                        procedure=procedure,
                        number=number,
                        content_hash=content_hash,
                        definition=definition,
                        **version_columns,
                    )
                )
                procedure.version = number
                changed = True
            if changed:
                procedure.updated_at = utcnow()
                report.count(report.updated, "procedure")
        _link_agencies(procedure, {agencies[code].id for codes in involved.values() for code in codes})

    in_pack = {spec.code for spec in pack.procedures}
    for code, procedure in procedures.items():
        if code not in in_pack and procedure.is_active:
            procedure.is_active = False
            report.count(report.deactivated, "procedure")
    after = sum(report.created.values()) + sum(report.updated.values()) + sum(report.deactivated.values())
    return after != before


def _involved_agencies(spec, pack: Pack) -> dict[str, list[str]]:
    """Codes of the agencies that may receive the procedure, and of those taking part in its route."""
    rule = spec.receiving_rule()
    if rule.kind == "by_address":
        serving = [routes.Serving(a.code, a.kind, tuple(a.serves)) for a in pack.agencies]
        paths = routes.unit_paths([unit.model_dump(mode="json") for unit in pack.units]).values()
        receiving = sorted(
            {code for path in paths for code in routes.servers_of(serving, path, rule.level, rule.agency_kind)}
        )
    else:
        receiving = list(rule.agencies)
    owners = [step.agency for step in spec.route_spec().steps()]
    taking_part = [ref.value for ref in owners if ref.kind == "code"]
    kinds = {ref.value for ref in owners if ref.kind == "kind"}
    taking_part += [agency.code for agency in pack.agencies if agency.kind in kinds]
    return {"receiving": receiving, "processing": [*spec.processing_agencies, *taking_part]}


def _link_agencies(procedure: Procedure, agency_ids: set[int]) -> None:
    current = set(
        db.session.scalars(select(ProcedureAgency.agency_id).where(ProcedureAgency.procedure_id == procedure.id))
    )
    if current == agency_ids:
        return
    db.session.execute(
        delete(ProcedureAgency).where(
            ProcedureAgency.procedure_id == procedure.id, ProcedureAgency.agency_id.in_(current - agency_ids)
        )
    )
    db.session.add_all(ProcedureAgency(procedure_id=procedure.id, agency_id=a) for a in agency_ids - current)


def _padded(text: str) -> str:
    """Folded words between single spaces, with a space at each end so that LIKE '% word%' finds a word start."""
    return f" {fold(text)} "


def served_province(code: str | None = None) -> Province:
    """The province this installation serves: the one named, else PROVINCE, else the first loaded."""
    from flask import current_app

    from onestop.errors import NotFound

    code = code or current_app.config["PROVINCE"]
    query = select(Province)
    query = query.where(Province.code == code) if code else query.order_by(Province.id).limit(1)
    province = db.session.scalar(query)
    if province is None and code:
        raise NotFound(_("The province %(code)s has not been loaded. Check the PROVINCE setting.", code=code))
    if province is None:
        raise NotFound(_("No province has been loaded yet. Run: flask --app wsgi province load provinces/demo"))
    return province
