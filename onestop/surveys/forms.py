"""Builder forms: plain fields, each with a translated message, and the parsing of lines into choices."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    EmailField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import NumberRange, Optional, ValidationError

from onestop import localtime
from onestop.forms import REQUIRED, max_length
from onestop.inputs import iso_day
from onestop.surveys.models import QuestionKind

KIND_TITLES = {
    QuestionKind.SINGLE: _l("One answer from a list"),
    QuestionKind.MULTIPLE: _l("Several answers from a list"),
    QuestionKind.RATING: _l("Rating from 1 to 5"),
    QuestionKind.YES_NO: _l("Yes or no"),
    QuestionKind.SHORT_TEXT: _l("Short text"),
    QuestionKind.LONG_TEXT: _l("Long text"),
    QuestionKind.NUMBER: _l("Number"),
    QuestionKind.DATE: _l("Date"),
    QuestionKind.GRID: _l("Grid of ratings (1 to 5 per row)"),
    QuestionKind.VERIFIED_CONTACT: _l("Phone or e-mail, confirmed with a one-time code"),
}


def _day(form, field) -> None:
    if field.data:
        try:
            iso_day(field.data)
        except ValueError:
            raise ValidationError(_l("Enter a real date, for example 2026-12-31.")) from None


def _lines(form, field) -> None:
    lines = [line for line in (field.data or "").splitlines() if line.strip()]
    if len(lines) > 30:
        raise ValidationError(_l("Offer at most %(max)d answers or rows.", max=30))
    if any(len(line) > 400 for line in lines):
        raise ValidationError(_l("Each line may hold at most %(max)d characters.", max=400))


class SettingsForm(FlaskForm):
    title_vi = StringField(_l("Title in Vietnamese"), validators=[REQUIRED, max_length(200)])
    title_en = StringField(_l("Title in English"), validators=[Optional(), max_length(200)])
    intro_vi = TextAreaField(_l("Introduction in Vietnamese"), validators=[Optional(), max_length(2000)])
    intro_en = TextAreaField(_l("Introduction in English"), validators=[Optional(), max_length(2000)])
    who = RadioField(
        _l("Who may answer"),
        choices=[
            ("anyone", _l("Anyone with the link, once per device")),
            ("signed_in", _l("Signed-in people only, once each")),
        ],
        default="anyone",
        validators=[REQUIRED],
    )
    opens_on = StringField(_l("Opens on (first day)"), validators=[Optional(), _day])
    closes_on = StringField(_l("Closes after (last day)"), validators=[Optional(), _day])
    response_cap = IntegerField(
        _l("Most responses taken"),
        validators=[Optional(), NumberRange(min=1, max=10_000_000, message=_l("Enter a whole number from 1."))],
    )

    def texts(self, name: str) -> dict:
        return _texts(getattr(self, f"{name}_vi").data, getattr(self, f"{name}_en").data)

    def opens_at(self) -> datetime | None:
        return _start_of(self.opens_on.data)

    def closes_at(self) -> datetime | None:
        return _start_of(self.closes_on.data, days_after=1)


def _start_of(text: str | None, days_after: int = 0) -> datetime | None:
    """The UTC moment a province day starts (or the day after it, for a last day)."""
    if not text:
        return None
    day = iso_day(text) + timedelta(days=days_after)
    return datetime.combine(day, time(), localtime.zone()).astimezone(UTC)


def day_text(moment: datetime | None, days_before: int = 0) -> str:
    if moment is None:
        return ""
    return (localtime.now(moment=moment).date() - timedelta(days=days_before)).isoformat()


def _texts(vi: str | None, en: str | None) -> dict:
    texts = {"vi": (vi or "").strip(), "en": (en or "").strip()}
    return {lang: text for lang, text in texts.items() if text}


class SectionForm(FlaskForm):
    title_vi = StringField(_l("Section title in Vietnamese"), validators=[Optional(), max_length(200)])
    title_en = StringField(_l("Section title in English"), validators=[Optional(), max_length(200)])

    def texts(self) -> dict:
        return _texts(self.title_vi.data, self.title_en.data)


class QuestionForm(FlaskForm):
    section = SelectField(_l("Section"), coerce=int, validators=[REQUIRED])
    kind = SelectField(_l("Kind of question"), choices=[(k.value, t) for k, t in KIND_TITLES.items()])
    text_vi = StringField(_l("Question in Vietnamese"), validators=[REQUIRED, max_length(500)])
    text_en = StringField(_l("Question in English"), validators=[Optional(), max_length(500)])
    required = BooleanField(_l("An answer is required"))
    options = TextAreaField(_l("Answers to choose from (lists only)"), validators=[Optional(), _lines])
    allow_other = BooleanField(_l('Offer "Other" with a box to type in (lists only)'))
    rows = TextAreaField(_l("Rows to rate (grid only)"), validators=[Optional(), _lines])
    low_vi = StringField(_l("Label of 1 in Vietnamese (ratings)"), validators=[Optional(), max_length(60)])
    low_en = StringField(_l("Label of 1 in English (ratings)"), validators=[Optional(), max_length(60)])
    high_vi = StringField(_l("Label of 5 in Vietnamese (ratings)"), validators=[Optional(), max_length(60)])
    high_en = StringField(_l("Label of 5 in English (ratings)"), validators=[Optional(), max_length(60)])
    show_if = SelectMultipleField(_l("Ask only when an earlier answer is one of"), choices=[], validate_choice=False)

    def validate_show_if(self, field) -> None:
        picked = [value for value in field.data or [] if value]
        offered = {value for value, _label in field.choices}
        if not set(picked) <= offered:
            raise ValidationError(_l("Choose among the answers offered."))
        if len({value.split("=", 1)[0] for value in picked}) > 1:
            raise ValidationError(_l("Choose answers of one question only."))

    def listed(self, field) -> list[dict]:
        """Lines "Vietnamese | English" as choices with keys o1, o2..."""
        listed = []
        for index, line in enumerate((line for line in (field.data or "").splitlines() if line.strip()), start=1):
            vi, _bar, en = line.partition("|")
            listed.append({"key": f"o{index}", **_texts(vi, en)})
        return listed

    def scale(self) -> dict:
        scale = {
            "low": _texts(self.low_vi.data, self.low_en.data),
            "high": _texts(self.high_vi.data, self.high_en.data),
        }
        return {end: texts for end, texts in scale.items() if texts}

    def rule(self) -> dict | None:
        picked = [value for value in self.show_if.data or [] if value]
        if not picked:
            return None
        return {"question": picked[0].split("=", 1)[0], "values": [value.split("=", 1)[1] for value in picked]}


def lines_of(listed: list[dict]) -> str:
    return "\n".join(item.get("vi", "") + (f" | {item['en']}" if item.get("en") else "") for item in listed)


class ShareForm(FlaskForm):
    email = EmailField(_l("Colleague's e-mail address"), validators=[REQUIRED, max_length(254)])


class ImportForm(FlaskForm):
    file = FileField(_l("Survey file (.json)"), validators=[REQUIRED])


class ConfirmForm(FlaskForm):
    """A form with only its CSRF token: one action per POST."""
