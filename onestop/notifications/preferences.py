"""Which channels reach a person, in which language: their choice, their addresses, and the rule that
critical news never rides on one channel alone."""

from __future__ import annotations

from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import gettext as _

from onestop.accounts.models import User
from onestop.extensions import db
from onestop.notifications.events import Event
from onestop.notifications.models import Channel, NotificationPreferences
from onestop.notifications.phones import InvalidPhone, to_e164

# Channels a person may switch on or off; the portal inbox is always on.
OPTIONAL_CHANNELS = (Channel.EMAIL, Channel.SMS, Channel.OTT)
# Critical news reaches at least this many channels outside the portal, where the account has them.
CRITICAL_MINIMUM = 2


@dataclass(frozen=True)
class Reach:
    """Where one person can be told: a usable address per channel, and what is wrong with the others."""

    addresses: dict[Channel, str]
    problems: dict[Channel, str]


def preferences_of(user: User) -> NotificationPreferences | None:
    return db.session.get(NotificationPreferences, user.id)


def ott_enabled() -> bool:
    return bool(current_app.config.get("OTT_WEBHOOK_URL"))


@dataclass(frozen=True)
class Choices:
    """One person's choices, read once: notify asks them four questions per message."""

    user: User
    row: NotificationPreferences | None

    @property
    def language(self) -> str:
        languages = current_app.config["LANGUAGES"]
        return self.row.language if self.row is not None and self.row.language in languages else "vi"

    @property
    def wants_digest(self) -> bool:
        return bool(self.user.is_staff and self.row is not None and self.row.daily_digest)

    def reach(self) -> Reach:
        user = self.user
        addresses: dict[Channel, str] = {}
        problems: dict[Channel, str] = {}
        if user.email:
            try:
                addresses[Channel.EMAIL] = validate_email(user.email, check_deliverability=False).normalized
            except EmailNotValidError:
                problems[Channel.EMAIL] = _("Your e-mail address %(email)s cannot receive messages.", email=user.email)
        if user.phone and current_app.config.get("SMS_BACKEND") != "disabled":
            try:
                addresses[Channel.SMS] = to_e164(user.phone)
            except InvalidPhone:
                problems[Channel.SMS] = _(
                    "Your phone number %(phone)s is not a Vietnamese mobile number, so it cannot receive text "
                    "messages.",
                    phone=user.phone,
                )
        if self.row is not None and self.row.ott_user_id and ott_enabled():
            addresses[Channel.OTT] = self.row.ott_user_id
        return Reach(addresses, problems)

    def ticked(self, event: Event) -> set[Channel]:
        """What the person ticked on their profile; before they ever chose, the event's own defaults."""
        if self.row is None:
            return set(event.channels)
        return {Channel(name) for name in self.row.channels if name in {c.value for c in OPTIONAL_CHANNELS}}

    def channels_for(self, event: Event) -> tuple[list[Channel], dict[Channel, str]]:
        """The outside channels this event goes to for this person, with the address on each."""
        reach = self.reach()
        ticked = [channel for channel in OPTIONAL_CHANNELS if channel in self.ticked(event)]
        channels = [channel for channel in ticked if channel in reach.addresses]
        wanted = CRITICAL_MINIMUM if event.critical else 0
        if any(channel in reach.problems for channel in ticked):
            # A ticked address that cannot receive: the message goes to the person's other channels instead.
            wanted = max(wanted, len(ticked))
        for channel in OPTIONAL_CHANNELS:
            if len(channels) >= wanted:
                break
            if channel in reach.addresses and channel not in channels:
                channels.append(channel)
        return channels, {channel: reach.addresses[channel] for channel in channels}


def choices_of(user: User) -> Choices:
    return Choices(user, preferences_of(user))


def language_of(user: User) -> str:
    return choices_of(user).language


def reach_of(user: User) -> Reach:
    return choices_of(user).reach()


def save_preferences(
    user: User, channels: set[Channel], language: str, daily_digest: bool = False
) -> NotificationPreferences:
    """The person's own choice; the profile page calls it for the signed-in user only."""
    chosen = preferences_of(user) or NotificationPreferences(user_id=user.id)
    chosen.channels = sorted(channel.value for channel in channels if channel in OPTIONAL_CHANNELS)
    chosen.language = language if language in current_app.config["LANGUAGES"] else "vi"
    chosen.daily_digest = bool(daily_digest) and user.is_staff
    db.session.add(chosen)
    db.session.flush()
    return chosen
