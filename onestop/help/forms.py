from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms.validators import AnyOf, Optional, Regexp

from onestop.forms import max_length
from onestop.help.models import QUERY_LENGTH, TARGET_LENGTH


class VoteForm(FlaskForm):
    """ "Did this answer your question?": two buttons named `helpful`, for one result or the whole visit."""

    q = HiddenField(validators=[max_length(QUERY_LENGTH)])
    # A page and its anchor ("dang-ky-khai-sinh#step-2"), or nothing for the visit as a whole.
    target = HiddenField(
        validators=[
            Optional(),
            max_length(TARGET_LENGTH),
            Regexp(r"^[a-z0-9-]+#[^\s#]+$", message=_l("This answer is not about a page of this site.")),
        ]
    )
    helpful = HiddenField(validators=[AnyOf(["yes", "no"], message=_l("Choose yes or no."))])
