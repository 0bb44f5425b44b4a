from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import Regexp

from onestop.forms import REQUIRED, max_length


class StatusLookupForm(FlaskForm):
    code = StringField(_l("Application code"), validators=[REQUIRED, max_length(40)])
    secret = StringField(
        _l("Citizen ID number of the applicant, or the lookup PIN on your receipt"),
        validators=[
            REQUIRED,
            Regexp(
                r"^\s*([0-9]{12}|[A-Za-z0-9]{6,8})\s*$", message=_l("Enter the 12-digit citizen ID number or the PIN.")
            ),
        ],
    )
