from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, StringField, TextAreaField

from onestop.forms import max_length
from onestop.notifications.render import MAX_TEMPLATE_CHARS

LANGUAGE_NAMES = {"vi": "Tiếng Việt", "en": "English"}


class PreferencesForm(FlaskForm):
    by_email = BooleanField(_l("By e-mail"))
    by_sms = BooleanField(_l("By text message (SMS)"))
    by_ott = BooleanField(_l("In the province's chat app account"))
    language = RadioField(_l("Language of the messages"), choices=list(LANGUAGE_NAMES.items()), default="vi")
    daily_digest = BooleanField(_l("Send me one e-mail a day with everything, instead of one e-mail per event"))


class TemplateForm(FlaskForm):
    subject = StringField(_l("Subject"), validators=[max_length(300)])
    body = TextAreaField(_l("Text"), validators=[max_length(MAX_TEMPLATE_CHARS)])
    unaccented = BooleanField(_l("Send without diacritics (costs about half as many SMS segments)"))
