from flask import Blueprint, Flask, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user

from onestop.accounts import services
from onestop.accounts.forms import (
    ChangePasswordForm,
    ForgotPasswordForm,
    LoginForm,
    PhoneCodeForm,
    RegisterForm,
    ResetPasswordForm,
    StaffEditForm,
    StaffForm,
)
from onestop.accounts.models import Role, User
from onestop.errors import NotAllowed
from onestop.extensions import db, limiter, login_manager
from onestop.inputs import local_target, row_id
from onestop.provinces.models import Agency

bp = Blueprint("accounts", __name__, url_prefix="/account")
admin_bp = Blueprint("admin", __name__, url_prefix="/admin")

_PENDING = "pending_user"
# The e-mail and phone typed at registration, to answer the same whether or not they already had an account.
_PENDING_CONTACT = "pending_contact"
# The key of this browser's row in user_session: without a live row the session cookie signs nobody in.
_SESSION_KEY = "session_key"


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _account_limit() -> str:
    return current_app.config["ACCOUNT_RATE_LIMIT"]


def init_app(app: Flask) -> None:
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please sign in to continue.")
    login_manager.login_message_category = "info"

    @login_manager.user_loader
    def _load(user_id: str) -> User | None:
        if not user_id.isdigit():
            return None
        return services.user_for_session(int(user_id), session.get(_SESSION_KEY))


def _sign_in(user: User, key: str) -> None:
    """Start this browser's session under a key the database knows (a fresh cookie, never a reused one)."""
    session.clear()
    session[_SESSION_KEY] = key
    login_user(user)
    session.permanent = True


def _sign_out() -> None:
    logout_user()
    session.clear()


def sign_out_this_device() -> None:
    """End this browser's session for good (its server-side row too), as the sign-out button does."""
    services.end_session(session.get(_SESSION_KEY))
    _sign_out()


def _invalid(template: str, form, error: services.AccountError | None = None, **context):
    """Re-render a form with everything typed kept and the message beside its field."""
    if error is not None:
        field = getattr(form, error.field, None) if error.field else None
        if field is not None:
            field.errors = [*field.errors, error.message]
        else:
            form.form_errors.append(error.message)
    return render_template(template, form=form, **context), 422


def _safe_next(default: str) -> str:
    return local_target(request.args.get("next"), default)


def _home_for(user: User) -> str:
    return url_for("admin.office") if user.is_staff else url_for("accounts.profile")


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_account_limit, methods=["POST"])
def register():
    form = RegisterForm()
    if not form.validate_on_submit():
        return (
            _invalid("accounts/register.html", form)
            if form.is_submitted()
            else render_template("accounts/register.html", form=form)
        )
    user = services.register_citizen(
        form.full_name.data, form.citizen_id.data, form.email.data, form.phone.data, form.password.data
    )
    # The same answer whether or not these details already had an account (then its owner was told).
    session[_PENDING] = user.id if user else None
    session[_PENDING_CONTACT] = {"email": (form.email.data or "").strip().lower(), "phone": form.phone.data or ""}
    return redirect(_confirmation_page())


def _pending() -> tuple[User | None, dict]:
    """The account being registered in this browser (None if the details had one), and the contact typed."""
    return db.session.get(User, session.get(_PENDING) or 0), session.get(_PENDING_CONTACT) or {}


def _confirmation_page() -> str:
    user, contact = _pending()
    has_email = user.email if user else contact.get("email")
    return url_for("accounts.check_email") if has_email else url_for("accounts.confirm_phone")


@bp.get("/check-email")
def check_email():
    user, contact = _pending()
    email = user.email if user else contact.get("email")
    phone_pending = bool(user.phone and not user.phone_confirmed_at) if user else bool(contact.get("phone"))
    return render_template("accounts/check_email.html", email=email, phone_pending=phone_pending)


@bp.get("/confirm/<token>")
def confirm_email(token: str):
    try:
        services.confirm_email(token)
    except services.AccountError as error:
        return render_template("accounts/link_problem.html", message=error.message), 400
    flash(_("Your e-mail address is confirmed. You can now sign in."), "success")
    return redirect(url_for("accounts.login"))


@bp.post("/resend")
@limiter.limit(_account_limit)
def resend_confirmation():
    user, contact = _pending()
    if (user is None and not contact) or (user is not None and user.is_verified):
        return redirect(url_for("accounts.login"))
    # With no new account (its details had one), nothing is sent, and the answer is the same.
    if user.email if user else contact.get("email"):
        if user is not None:
            services.send_email_confirmation(user)
        flash(_("We sent the confirmation link again. Check your inbox and spam folder."), "info")
        return redirect(url_for("accounts.check_email"))
    if user is not None:
        services.send_phone_code(user)
    flash(_("We sent a new code by SMS."), "info")
    return redirect(url_for("accounts.confirm_phone"))


@bp.route("/confirm-phone", methods=["GET", "POST"])
@limiter.limit(_account_limit, methods=["POST"])
def confirm_phone():
    user, contact = _pending()
    phone = user.phone if user else contact.get("phone")
    if not phone:
        return redirect(url_for("accounts.login"))
    form = PhoneCodeForm()
    if not form.validate_on_submit():
        if form.is_submitted():
            return _invalid("accounts/confirm_phone.html", form, phone=phone)
        return render_template("accounts/confirm_phone.html", form=form, phone=phone)
    try:
        services.confirm_pending_phone(user, form.code.data)
    except services.AccountError as error:
        return _invalid("accounts/confirm_phone.html", form, error, phone=phone)
    flash(_("Your phone number is confirmed. You can now sign in."), "success")
    return redirect(url_for("accounts.login"))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(_home_for(current_user))
    form = LoginForm()
    if not form.validate_on_submit():
        return (
            _invalid("accounts/login.html", form)
            if form.is_submitted()
            else render_template("accounts/login.html", form=form)
        )
    try:
        user = services.authenticate(form.login.data, form.password.data)
    except services.AccountError as error:
        return _invalid("accounts/login.html", form, error)
    if not user.is_staff and not user.is_verified:
        session[_PENDING] = user.id
        return render_template("accounts/not_confirmed.html", user=user), 403
    _sign_in(user, services.start_session(user))
    return redirect(_safe_next(_home_for(user)))


@bp.post("/logout")
def logout():
    sign_out_this_device()
    flash(_("You have signed out."), "info")
    return redirect(url_for("portal.home"))


@bp.post("/sign-out-everywhere")
@login_required
def sign_out_everywhere():
    services.end_all_sessions(current_user)
    _sign_out()
    flash(_("You have signed out on every device. Sign in again to continue."), "info")
    return redirect(url_for("accounts.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
@limiter.limit(_account_limit, methods=["POST"])
def change_password():
    form = ChangePasswordForm()
    if not form.validate_on_submit():
        return (
            _invalid("accounts/change_password.html", form)
            if form.is_submitted()
            else render_template("accounts/change_password.html", form=form)
        )
    user = current_user._get_current_object()
    try:
        key = services.change_password(user, form.current_password.data, form.password.data)
    except services.AccountError as error:
        return _invalid("accounts/change_password.html", form, error)
    _sign_in(user, key)
    flash(_("Your new password is saved. Every other device where you were signed in is signed out."), "success")
    return redirect(url_for("accounts.profile"))


@bp.route("/forgot", methods=["GET", "POST"])
@limiter.limit(_account_limit, methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if not form.validate_on_submit():
        return (
            _invalid("accounts/forgot.html", form)
            if form.is_submitted()
            else render_template("accounts/forgot.html", form=form)
        )
    services.request_password_reset(form.email.data)
    return render_template("accounts/forgot_sent.html", email=form.email.data)


@bp.route("/reset/<token>", methods=["GET", "POST"])
@limiter.limit(_account_limit, methods=["POST"])
def reset_password(token: str):
    try:
        services.user_for_reset_token(token)
    except services.AccountError as error:
        return render_template("accounts/link_problem.html", message=error.message), 400
    form = ResetPasswordForm()
    if not form.validate_on_submit():
        return (
            _invalid("accounts/reset.html", form)
            if form.is_submitted()
            else render_template("accounts/reset.html", form=form)
        )
    services.reset_password(token, form.password.data)
    _sign_out()
    flash(_("Your new password is saved. You can now sign in."), "success")
    return redirect(url_for("accounts.login"))


@bp.get("/")
@login_required
def profile():
    return render_template("accounts/profile.html", user=current_user, sessions=services.session_count(current_user))


# --- Back office: landing page and staff administration ----------------------------------------


def _staff_required() -> User:
    """Back-office pages: signed-in staff only (the routes also carry login_required)."""
    if not current_user.is_staff:
        raise NotAllowed(_("This part of the site is for agency staff."))
    return current_user


@admin_bp.get("/")
@login_required
def office():
    user = _staff_required()
    from onestop.notifications.wording_admin import may_word_messages

    return render_template(
        "admin/office.html",
        user=user,
        can_manage=bool(services.manageable_agencies(user)),
        can_word_messages=may_word_messages(user),
    )


def _fill_choices(form, actor: User) -> None:
    form.role.choices = [(role.value, role.title) for role in services.assignable_roles(actor)]
    form.agency.choices = [("", _("— none (province level) —"))] + [
        (str(agency.id), f"{agency.display_name()} ({agency.code})") for agency in services.manageable_agencies(actor)
    ]


def _chosen_agency(form) -> Agency | None:
    # Optional() lets a blank through as "no agency" (province level), spaces included.
    chosen = (form.agency.data or "").strip()
    return db.session.get(Agency, row_id(chosen)) if chosen else None


@admin_bp.get("/staff")
@login_required
def staff_list():
    actor = _staff_required()
    return render_template("admin/staff_list.html", staff=services.staff_visible_to(actor))


@admin_bp.route("/staff/new", methods=["GET", "POST"])
@login_required
def staff_new():
    actor = _staff_required()
    services.staff_visible_to(actor)  # refuses non-administrators
    form = StaffForm()
    _fill_choices(form, actor)
    if not form.validate_on_submit():
        if form.is_submitted():
            return _invalid("admin/staff_form.html", form, new=True)
        return render_template("admin/staff_form.html", form=form, new=True)
    try:
        user = services.create_staff(
            actor, form.full_name.data, form.email.data, Role(form.role.data), _chosen_agency(form), form.phone.data
        )
    except services.AccountError as error:
        return _invalid("admin/staff_form.html", form, error, new=True)
    flash(
        _("The account of %(name)s was created and an e-mail was sent to choose a password.", name=user.full_name),
        "success",
    )
    return redirect(url_for("admin.staff_list"))


@admin_bp.route("/staff/<int:user_id>", methods=["GET", "POST"])
@login_required
def staff_edit(user_id: int):
    actor = _staff_required()
    user = services.get_staff_for(actor, user_id)
    form = StaffEditForm(obj=None if request.method == "POST" else user)
    _fill_choices(form, actor)
    if request.method == "GET":
        form.role.data = user.role
        form.agency.data = str(user.agency_id or "")
        form.is_active.data = user.is_active
    if not form.validate_on_submit():
        if form.is_submitted():
            return _invalid("admin/staff_edit.html", form, person=user)
        return render_template("admin/staff_edit.html", form=form, person=user)
    try:
        services.update_staff(actor, user, Role(form.role.data), _chosen_agency(form), form.is_active.data)
    except services.AccountError as error:
        return _invalid("admin/staff_edit.html", form, error, person=user)
    flash(_("The changes were saved."), "success")
    return redirect(url_for("admin.staff_list"))
