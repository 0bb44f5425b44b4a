"""Account rules: registration, confirmation, authentication, password reset, staff management.

Services never read the request; the acting user is a parameter. They flush; the request commits.
"""

import hashlib
import hmac
import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import delete, false, func, or_, select
from werkzeug.security import check_password_hash, generate_password_hash

from onestop.accounts.citizen_id import problem_with
from onestop.accounts.models import Role, User, UserSession
from onestop.audit.services import record
from onestop.errors import InvalidInput, NotAllowed, NotFound
from onestop.extensions import db
from onestop.links import public_link
from onestop.models import utcnow
from onestop.notifications.models import Channel
from onestop.notifications.outbox import queue_message
from onestop.provinces.models import Agency, Province

_EMAIL_SALT = "confirm-email"
_RESET_SALT = "reset-password"


class AccountError(InvalidInput):
    """A rule about accounts was broken; `field` names the form field the message belongs to."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def walk_in_citizen(citizen_id: str, full_name: str, phone: str) -> User:
    """The citizen a clerk files for at the counter: found by ID number, or a new account they claim later.

    The new account has no password and no e-mail; the citizen claims it through password reset by
    phone, or registration support. A phone number already used by another account is left out.
    """
    citizen_id = "".join(citizen_id.split())
    if problem_with(citizen_id):
        raise AccountError(_("Enter the 12-digit number on the citizen's ID card."), "citizen_id")
    user = db.session.scalar(select(User).where(User.citizen_id == citizen_id))
    if user is not None:
        if user.is_staff:
            raise AccountError(_("Counter filings are for citizens."), "citizen_id")
        return user
    if not full_name.strip():
        raise AccountError(_("Enter the citizen's full name as on their ID card."), "full_name")
    phone = normalise_phone(phone) if phone.strip() else None
    if phone and db.session.scalar(select(User.id).where(User.phone == phone)):
        phone = None
    user = User(full_name=full_name.strip()[:200], citizen_id=citizen_id, phone=phone, role=Role.CITIZEN)
    db.session.add(user)
    db.session.flush()
    return user


def normalise_phone(phone: str) -> str:
    """Vietnamese mobile numbers as 10 digits starting with 0 (+84 and 84 prefixes accepted)."""
    digits = "".join(ch for ch in phone if ch.isdigit() or ch == "+")
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("84") and len(digits) == 11:
        digits = "0" + digits[2:]
    return digits


def find_by_login(login: str) -> User | None:
    login = login.strip()
    if "@" in login:
        condition = User.email == login.lower()
    elif login.isdigit() and len(login) == 12:
        condition = User.citizen_id == login
    else:
        condition = User.phone == normalise_phone(login)
    return db.session.scalar(select(User).where(condition))


def register_citizen(
    full_name: str, citizen_id: str, email: str | None, phone: str | None, password: str
) -> User | None:
    """Create a citizen's account and send its confirmations; None when the ID number, e-mail or phone
    already has an account. Then the owner of that account is told instead, and the caller answers exactly
    as for a new account: registration never tells a stranger who has an account.
    """
    email = email.strip().lower() if email else None
    phone = normalise_phone(phone) if phone else None
    clashes = db.session.scalars(
        select(User).where(
            or_(
                User.citizen_id == citizen_id,
                User.email == email if email else false(),
                User.phone == phone if phone else false(),
            )
        )
    ).all()
    if clashes:
        generate_password_hash(password)  # the same work as a new account, so that timing tells nothing either
        for owner in clashes:
            _tell_owner_of_registration_attempt(owner)
        return None
    user = User(
        full_name=full_name.strip(),
        citizen_id=citizen_id,
        email=email,
        phone=phone,
        role=Role.CITIZEN,
        privacy_consent_at=utcnow(),
    )
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    if email:
        send_email_confirmation(user)
    if phone:
        send_phone_code(user)
    return user


def _tell_owner_of_registration_attempt(owner: User) -> None:
    """Someone registered with this account's ID number, e-mail or phone: tell its owner how to get back in."""
    if not owner.is_active:
        return
    sign_in = public_link("accounts.login")
    if owner.email:
        queue_message(
            Channel.EMAIL,
            owner.email,
            subject=_("Someone tried to register with your details"),
            body=_(
                "Hello %(name)s,\n\nSomeone tried to create an account on the public service portal with your citizen "
                "ID number, e-mail address or phone number. You already have an account, so no new one was made.\n\n"
                "If it was you, sign in here, or reset your password from the same page if you forgot it:\n%(link)s\n\n"
                "If it was not you, you need do nothing: your account is unchanged.",
                name=owner.full_name,
                link=sign_in,
            ),
            user_id=owner.id,
        )
    elif owner.phone:
        queue_message(
            Channel.SMS,
            owner.phone,
            _(
                "Someone tried to register on the public service portal with your details. You already have an "
                "account: sign in at %(link)s. If it was not you, do nothing.",
                link=sign_in,
            ),
            user_id=owner.id,
        )


def confirm_pending_phone(user: User | None, code: str) -> None:
    """Confirm the phone of the account being registered; with none (the details had an account), no code is right."""
    if user is None:
        check_password_hash(_DUMMY_HASH, code)
        raise AccountError(_("This code is not right. Check the SMS and try again."), "code")
    confirm_phone(user, code)


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def send_email_confirmation(user: User) -> None:
    token = _serializer(_EMAIL_SALT).dumps({"user": user.id, "email": user.email})
    link = public_link("accounts.confirm_email", token=token)
    hours = current_app.config["EMAIL_CONFIRM_MAX_AGE"] // 3600
    queue_message(
        Channel.EMAIL,
        user.email,
        subject=_("Confirm your e-mail address"),
        body=_(
            "Hello %(name)s,\n\nTo finish creating your account on the public service portal, open this link "
            "within %(hours)s hours:\n\n%(link)s\n\nIf you did not register, ignore this message.",
            name=user.full_name,
            hours=hours,
            link=link,
        ),
        user_id=user.id,
    )


def confirm_email(token: str) -> User:
    try:
        data = _serializer(_EMAIL_SALT).loads(token, max_age=current_app.config["EMAIL_CONFIRM_MAX_AGE"])
    except SignatureExpired:
        raise AccountError(_("This confirmation link has expired. Sign in to receive a new one.")) from None
    except BadSignature:
        raise AccountError(_("This confirmation link is not valid. Check that you copied all of it.")) from None
    user = db.session.get(User, data["user"])
    if user is None or user.email != data["email"]:
        raise AccountError(_("This confirmation link is not valid any more."))
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()
    return user


def send_phone_code(user: User) -> None:
    code = f"{secrets.randbelow(1_000_000):06d}"
    user.phone_code_hash = generate_password_hash(code)
    user.phone_code_sent_at = utcnow()
    minutes = current_app.config["PHONE_CODE_MAX_AGE"] // 60
    queue_message(
        Channel.SMS,
        user.phone,
        body=_(
            "Your confirmation code for the public service portal is %(code)s. It is valid for %(minutes)s minutes.",
            code=code,
            minutes=minutes,
        ),
        user_id=user.id,
    )


def confirm_phone(user: User, code: str) -> None:
    max_age = timedelta(seconds=current_app.config["PHONE_CODE_MAX_AGE"])
    if not user.phone_code_hash or not user.phone_code_sent_at or utcnow() - user.phone_code_sent_at > max_age:
        raise AccountError(_("This code has expired. Ask for a new one."), "code")
    if not check_password_hash(user.phone_code_hash, code.strip()):
        raise AccountError(_("This code is not right. Check the SMS and try again."), "code")
    user.phone_confirmed_at = utcnow()
    user.phone_code_hash = None


def authenticate(login: str, password: str) -> User:
    """Return the user for a login and password, or raise with one message that reveals nothing."""
    user = find_by_login(login)
    if user is None or not user.is_active or not user.check_password(password):
        if user is None:
            # Spend the same time as a real check so that timing does not tell which logins exist.
            check_password_hash(_DUMMY_HASH, password)
        raise AccountError(
            _("The login or the password is not right. Check both, or reset your password if you forgot it."),
            "password",
        )
    user.last_login_at = utcnow()
    return user


_DUMMY_HASH = generate_password_hash("not a real password")


def request_password_reset(email: str) -> None:
    """Send a reset link if the address belongs to an account; say nothing either way.

    Each request replaces the account's reset nonce, so only the newest link works, and only once.
    """
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None or not user.is_active:
        return
    user.password_reset_nonce = secrets.token_urlsafe(16)
    token = _serializer(_RESET_SALT).dumps({"user": user.id, "nonce": user.password_reset_nonce})
    link = public_link("accounts.reset_password", token=token)
    minutes = current_app.config["PASSWORD_RESET_MAX_AGE"] // 60
    queue_message(
        Channel.EMAIL,
        user.email,
        subject=_("Reset your password"),
        body=_(
            "Hello %(name)s,\n\nSomeone asked to reset the password of your account on the public service portal. "
            "To choose a new password, open this link within %(minutes)s minutes:\n\n%(link)s\n\n"
            "If it was not you, ignore this message: your password stays as it is.",
            name=user.full_name,
            minutes=minutes,
            link=link,
        ),
        user_id=user.id,
    )


def user_for_reset_token(token: str) -> User:
    try:
        data = _serializer(_RESET_SALT).loads(token, max_age=current_app.config["PASSWORD_RESET_MAX_AGE"])
    except SignatureExpired:
        raise AccountError(_("This link has expired. Ask for a new one.")) from None
    except BadSignature:
        raise AccountError(_("This link is not valid. Check that you copied all of it.")) from None
    user = db.session.get(User, data.get("user"))
    nonce = data.get("nonce")
    if (
        user is None
        or not isinstance(nonce, str)
        or not user.password_reset_nonce
        or not hmac.compare_digest(nonce, user.password_reset_nonce)
    ):
        raise AccountError(
            _("This link has already been used, or a newer one was sent. Use the newest link, or ask for a new one.")
        )
    return user


def reset_password(token: str, password: str) -> User:
    """Set the new password and sign the account out everywhere: whoever held a session holds it no more."""
    user = user_for_reset_token(token)
    _replace_password(user, password)
    if user.email_confirmed_at is None:
        # The link reached this mailbox, which confirms the address as well.
        user.email_confirmed_at = utcnow()
    return user


def change_password(user: User, current_password: str, new_password: str) -> str:
    """A signed-in user changes their password: every session ends, this browser gets a new one (its key)."""
    if not user.check_password(current_password):
        raise AccountError(_("Your current password is not right."), "current_password")
    _replace_password(user, new_password)
    return start_session(user)


def _replace_password(user: User, password: str) -> None:
    user.set_password(password)
    user.password_reset_nonce = None
    end_all_sessions(user)


# --- Sessions: one row per signed-in browser -------------------------------------------------


def _session_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _oldest_live_session():
    # However active, a session ends this long after its sign-in; its row is deleted at the next sign-in.
    return utcnow() - timedelta(seconds=current_app.config["SESSION_ABSOLUTE_LIFETIME"])


def start_session(user: User) -> str:
    """Record a newly signed-in browser; the returned key goes into its session cookie."""
    db.session.execute(
        delete(UserSession).where(UserSession.user_id == user.id, UserSession.created_at < _oldest_live_session())
    )
    key = secrets.token_urlsafe(32)
    db.session.add(UserSession(user_id=user.id, key_digest=_session_digest(key)))
    db.session.flush()
    return key


def user_for_session(user_id: int, key: str | None) -> User | None:
    """The active user a session cookie names, if that browser's session has not been ended."""
    if not key:
        return None
    return db.session.scalar(
        select(User)
        .join(UserSession, UserSession.user_id == User.id)
        .where(
            User.id == user_id,
            User.is_active,
            UserSession.key_digest == _session_digest(key),
            UserSession.created_at >= _oldest_live_session(),
        )
    )


def end_session(key: str | None) -> None:
    """Sign out one browser: its cookie, even a copy of it, names a session that no longer exists."""
    if key:
        db.session.execute(delete(UserSession).where(UserSession.key_digest == _session_digest(key)))


def end_all_sessions(user: User) -> None:
    """Sign the account out on every browser, this one included."""
    db.session.execute(delete(UserSession).where(UserSession.user_id == user.id))


def session_count(user: User) -> int:
    return db.session.scalar(select(func.count()).select_from(UserSession).where(UserSession.user_id == user.id))


# --- Staff ------------------------------------------------------------------------------------

STAFF_ROLES = [role for role in Role if role.is_staff]


def manageable_agencies(actor: User) -> list[Agency]:
    if actor.role_enum is Role.PROVINCE_ADMIN:
        return list(
            db.session.scalars(
                select(Agency).where(Agency.province_id == actor.province_id, Agency.is_active).order_by(Agency.code)
            )
        )
    if actor.role_enum is Role.AGENCY_ADMIN and actor.agency is not None:
        return [actor.agency]
    return []


def assignable_roles(actor: User) -> list[Role]:
    if actor.role_enum is Role.PROVINCE_ADMIN:
        return STAFF_ROLES
    if actor.role_enum is Role.AGENCY_ADMIN:
        return [Role.CLERK, Role.SPECIALIST, Role.LEADER, Role.AGENCY_ADMIN]
    return []


def staff_visible_to(actor: User) -> list[User]:
    agencies = manageable_agencies(actor)
    if not agencies:
        raise NotAllowed(_("Only administrators can manage staff accounts."))
    query = select(User).where(User.role != Role.CITIZEN)
    if actor.role_enum is Role.PROVINCE_ADMIN:
        query = query.where(User.province_id == actor.province_id)
    else:
        query = query.where(User.agency_id == actor.agency_id)
    return list(db.session.scalars(query.order_by(User.agency_id, User.role, func.lower(User.full_name))))


def _check_can_manage(actor: User, role: Role, agency: Agency | None) -> None:
    if role not in assignable_roles(actor):
        raise NotAllowed(_("You cannot give this role."))
    if role is Role.PROVINCE_ADMIN:
        return
    if agency is None:
        raise AccountError(_("Choose the agency this person works for."), "agency")
    if agency not in manageable_agencies(actor):
        raise NotAllowed(_("You can only manage staff of your own agency."))


def create_staff(actor: User, full_name: str, email: str, role: Role, agency: Agency | None, phone: str | None) -> User:
    """Create a staff account and e-mail its owner a link to choose a password."""
    _check_can_manage(actor, role, agency)
    email = email.strip().lower()
    if db.session.scalar(select(User.id).where(User.email == email)):
        raise AccountError(_("This e-mail address is already used by another account."), "email")
    user = User(
        full_name=full_name.strip(),
        email=email,
        phone=normalise_phone(phone) if phone else None,
        role=role,
        agency_id=agency.id if agency and role is not Role.PROVINCE_ADMIN else None,
        province_id=actor.province_id,
        email_confirmed_at=None,
    )
    db.session.add(user)
    db.session.flush()
    record("staff.create", "user", user.id, actor.id, role=role, agency_id=user.agency_id)
    request_password_reset(email)
    return user


def get_staff_for(actor: User, user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or not user.is_staff or user not in staff_visible_to(actor):
        raise NotFound(_("There is no such staff account."))
    return user


def update_staff(actor: User, user: User, role: Role, agency: Agency | None, is_active: bool) -> None:
    if user.id == actor.id and (role != user.role_enum or not is_active):
        raise AccountError(_("You cannot change your own role or deactivate yourself."), "role")
    _check_can_manage(actor, Role(user.role), user.agency)
    _check_can_manage(actor, role, agency)
    before = {"role": user.role, "agency_id": user.agency_id, "is_active": user.is_active}
    user.role = role
    user.agency_id = agency.id if agency and role is not Role.PROVINCE_ADMIN else None
    user.is_active = is_active
    after = {"role": user.role, "agency_id": user.agency_id, "is_active": user.is_active}
    changed = {key: [before[key], after[key]] for key in before if before[key] != after[key]}
    if changed:
        record("staff.update", "user", user.id, actor.id, **changed)


def ensure_demo_accounts(province: Province, password: str) -> list[User]:
    """One staff member of each role at each agency gets `password` (inter-agency routes pass several
    agencies, so trying one needs each agency's officers); a demo citizen is created once."""
    accounts = []
    staff = db.session.scalars(
        select(User)
        .outerjoin(Agency, Agency.id == User.agency_id)
        .where(User.province_id == province.id, User.role.in_(STAFF_ROLES))
        .order_by(Agency.code.nulls_first(), User.email)
    )
    seen: set[tuple[int | None, str]] = set()
    # One hash shared by the demo logins: a slow hash per account made `make demo` take half a minute.
    known: set[str] = set()
    for user in staff:
        if (user.agency_id, user.role) in seen:
            continue
        seen.add((user.agency_id, user.role))
        if user.password_hash not in known:
            if not user.check_password(password):
                user.password_hash = next(iter(known), None) or generate_password_hash(password)
            known.add(user.password_hash)
        user.email_confirmed_at = user.email_confirmed_at or utcnow()
        accounts.append(user)
    accounts.sort(key=lambda user: (user.agency.code if user.agency else "", STAFF_ROLES.index(user.role_enum)))
    citizen = db.session.scalar(select(User).where(User.citizen_id == "001090001234"))
    if citizen is None:
        citizen = User(
            full_name="Nguyễn Văn An",
            citizen_id="001090001234",
            email="citizen@demo.example",
            phone="0912345678",
            role=Role.CITIZEN,
            email_confirmed_at=utcnow(),
            phone_confirmed_at=utcnow(),
        )
        citizen.set_password(password)
        db.session.add(citizen)
    db.session.flush()
    return [citizen, *accounts]
