from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import BooleanField, HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, InputRequired, Optional

from onestop.feedback.models import BODY_LENGTH, NOTE_LENGTH, TITLE_LENGTH, FeedbackKind
from onestop.forms import max_length

MAX_ATTACHMENTS = 3


def kind_choices() -> list[tuple[str, str]]:
    return [
        (FeedbackKind.FEEDBACK.value, _l("Feedback: something went wrong or could be better")),
        (FeedbackKind.QUESTION.value, _l("A question")),
        (FeedbackKind.COMPLAINT.value, _l("A complaint or a request to reconsider")),
    ]


class FeedbackForm(FlaskForm):
    kind = RadioField(
        _l("What are you sending?"),
        choices=kind_choices,
        validators=[InputRequired(_l("Choose what you are sending."))],
    )
    agency = SelectField(_l("Agency"), validators=[Optional()], validate_choice=False)
    title = StringField(
        _l("Subject"), validators=[DataRequired(_l("Give your feedback a short subject.")), max_length(TITLE_LENGTH)]
    )
    body = TextAreaField(
        _l("Your feedback"),
        validators=[DataRequired(_l("Write what you want to tell the agency.")), max_length(BODY_LENGTH)],
    )
    attachments = MultipleFileField(_l("Files (optional)"))
    anonymous = BooleanField(_l("Send without my name"))


class LookupForm(FlaskForm):
    code = StringField(_l("Feedback code"), validators=[DataRequired(_l("Type the code you were given."))])


class RatingForm(FlaskForm):
    satisfied = HiddenField(validators=[AnyOf(["yes", "no"], message=_l("Choose yes or no."))])


class AnswerForm(FlaskForm):
    answer = TextAreaField(_l("Answer"), validators=[DataRequired(_l("Write the answer.")), max_length(BODY_LENGTH)])


class ForwardForm(FlaskForm):
    to_agency = SelectField(
        _l("Send to"),
        validators=[DataRequired(_l("Choose the agency to send the feedback to."))],
        validate_choice=False,
    )
    note = TextAreaField(
        _l("Note for the other agency"),
        validators=[DataRequired(_l("Say why the feedback goes to the other agency.")), max_length(NOTE_LENGTH)],
    )


class PublishForm(FlaskForm):
    procedure = SelectField(_l("Procedure page"), validators=[Optional()], validate_choice=False)
    question = TextAreaField(
        _l("Question, as the public will read it"),
        validators=[DataRequired(_l("Write the question as the public will read it.")), max_length(BODY_LENGTH)],
    )
    public_answer = TextAreaField(
        _l("Answer, as the public will read it"),
        validators=[DataRequired(_l("Write the answer as the public will read it.")), max_length(BODY_LENGTH)],
    )
