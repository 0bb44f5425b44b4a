from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField, TelField
from wtforms.validators import Email, EqualTo, Length, Optional, Regexp, ValidationError

from onestop.accounts.citizen_id import problem_with
from onestop.forms import REQUIRED, max_length
from onestop.notifications.phones import InvalidPhone, PhoneProblem, to_national

_CITIZEN_ID_MESSAGES = {
    "format": _l("Enter the 12 digits of your citizen ID number, without spaces."),
    "province": _l("The first three digits are not a province code. Check the number on your ID card."),
    "year": _l("The digits for the year of birth are not possible. Check the number on your ID card."),
}


def _citizen_id(form, field) -> None:
    field.data = (field.data or "").replace(" ", "")
    problem = problem_with(field.data)
    if problem:
        raise ValidationError(_CITIZEN_ID_MESSAGES[problem])


_TEN_DIGITS = _l("Enter a mobile number of 10 digits, for example 0912 345 678.")
_PHONE_MESSAGES = {
    PhoneProblem.EMPTY: _TEN_DIGITS,
    PhoneProblem.LENGTH: _TEN_DIGITS,
    PhoneProblem.CHARACTERS: _l("Use only digits in the phone number (spaces, dots and dashes may separate them)."),
    PhoneProblem.FOREIGN: _l("Enter a Vietnamese mobile number: +84 or 0 followed by the subscriber's digits."),
    PhoneProblem.NOT_MOBILE: _l(
        "This number is not on a Vietnamese mobile network (mobile numbers begin with 03, 05, 07, 08 or 09); "
        "a landline cannot receive SMS."
    ),
}


def _phone(form, field) -> None:
    """Any way people write a mobile number; stored as the 10-digit national form (0912345678)."""
    if field.data:
        try:
            field.data = to_national(field.data)
        except InvalidPhone as invalid:
            # field.data is left as typed, so the form shows it back beside the message.
            raise ValidationError(_PHONE_MESSAGES[invalid.problem]) from None


def _password_strength(form, field) -> None:
    if field.data and (field.data.isdigit() or field.data.isalpha()):
        raise ValidationError(_l("Use both letters and digits in your password."))


PASSWORD_RULES = [
    REQUIRED,
    Length(min=8, max=128, message=_l("Use between 8 and 128 characters.")),
    _password_strength,
]
EMAIL_RULE = Email(message=_l("Enter an e-mail address like name@example.com."), check_deliverability=False)


class RegisterForm(FlaskForm):
    full_name = StringField(_l("Full name"), validators=[REQUIRED, max_length(200)])
    citizen_id = StringField(_l("Citizen ID number"), validators=[REQUIRED, _citizen_id])
    email = EmailField(_l("E-mail address"), validators=[Optional(), EMAIL_RULE, max_length(254)])
    phone = TelField(_l("Mobile phone number"), validators=[Optional(), _phone])
    password = PasswordField(_l("Password"), validators=PASSWORD_RULES)
    password_again = PasswordField(
        _l("Password again"),
        validators=[REQUIRED, EqualTo("password", message=_l("The two passwords are not the same."))],
    )
    consent = BooleanField(
        _l("I have read the personal data notice and agree that my data is processed to handle my applications."),
        validators=[REQUIRED],
    )

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if not self.email.data and not self.phone.data and not self.phone.errors and not self.email.errors:
            # Shown at the phone field, the second of the two ways to reach the citizen.
            self.phone.errors = [
                *self.phone.errors,
                _l("Give an e-mail address or a mobile number, so that we can reach you."),
            ]
            return False
        return valid


class LoginForm(FlaskForm):
    login = StringField(_l("E-mail, phone number or citizen ID number"), validators=[REQUIRED, max_length(254)])
    password = PasswordField(_l("Password"), validators=[REQUIRED, max_length(128)])


class PhoneCodeForm(FlaskForm):
    code = StringField(
        _l("Confirmation code"),
        validators=[REQUIRED, Regexp(r"^\s*\d{6}\s*$", message=_l("Enter the 6 digits from the SMS."))],
    )


class ForgotPasswordForm(FlaskForm):
    email = EmailField(_l("E-mail address"), validators=[REQUIRED, EMAIL_RULE])


class ResetPasswordForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=PASSWORD_RULES)
    password_again = PasswordField(
        _l("New password again"),
        validators=[REQUIRED, EqualTo("password", message=_l("The two passwords are not the same."))],
    )


class ChangePasswordForm(ResetPasswordForm):
    current_password = PasswordField(_l("Current password"), validators=[REQUIRED, max_length(128)])


class StaffForm(FlaskForm):
    full_name = StringField(_l("Full name"), validators=[REQUIRED, max_length(200)])
    email = EmailField(_l("E-mail address"), validators=[REQUIRED, EMAIL_RULE, max_length(254)])
    phone = TelField(_l("Mobile phone number"), validators=[Optional(), _phone])
    role = SelectField(_l("Role"), validators=[REQUIRED])
    agency = SelectField(_l("Agency"), validators=[Optional()])


class StaffEditForm(FlaskForm):
    role = SelectField(_l("Role"), validators=[REQUIRED])
    agency = SelectField(_l("Agency"), validators=[Optional()])
    is_active = BooleanField(_l("The account is active"))
