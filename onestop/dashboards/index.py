"""The service index of Decision 766/QĐ-TTg: five groups, their indicators, and how points are given.

Which text each part follows is written in docs/service-index.md. In short: the five groups and their
maxima (publicity 18, progress and results 20, digitisation 22, online service 22, satisfaction 18, of
100) are the decision's. The indicators, their points and their thresholds are those the national public
service portal (dichvucong.gov.vn) scores with in 2026, known from a secondary source: its formula sheet
and rule description as collected, with the formulas checked against the portal's published scores, in
the public repository ChippedTopaz/qd766. The online group's split (online services 12 = 2 + 4 + 6, online
payment 10 = 2 + 2 + 6) was reconstructed from the portal's scores, not read in a text. The grading bands
are in no text we could read and are not shown. A province holding other rules corrects this one table.

Points grow with the rate up to the indicator's threshold (`full_at`): a rate at or above it earns every
point, a rate below it earns maximum × rate / full_at (proportional when the threshold is 100%). An
indicator with no files in the period earns nothing and is left out of the maximum; one whose data onestop
does not record (or not yet) is shown as "not measured yet", never as zero.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class Group:
    key: str
    title: object
    maximum: float
    # Whether the group's maximum is taken from the decision's text.
    verified: bool
    # Whether the split of the group's points among its indicators is known from the national portal's own
    # formula sheet (True) or only reconstructed from its published scores (False).
    weights_verified: bool
    note: object = ""


@dataclass(frozen=True)
class Indicator:
    key: str
    group: str
    title: object
    maximum: float
    # Columns of the summed days (or of another module's totals); None: onestop does not record this.
    numerator: str | None
    denominator: str | None
    # Drill-down lists (onestop/dashboards/drill.py) of the files behind each side.
    numerator_list: str | None = None
    denominator_list: str | None = None
    # Files against the rate (the late ones for on-time processing): the list a leader acts on.
    shortfall_list: str | None = None
    why_not_measured: object = ""
    # The rate that earns every point (1.0: points in proportion to the rate).
    full_at: float = 1.0


GROUPS = (
    Group("publicity", _l("Publicity and transparency"), 18, True, True),
    Group("progress", _l("Progress and results of processing"), 20, True, True),
    Group("digitisation", _l("Digitisation of files and results"), 22, True, True),
    Group(
        "online",
        _l("Online service provision"),
        22,
        True,
        False,
        _l("12 points for online public services and 10 for online payment, as the national portal scores them."),
    ),
    Group("satisfaction", _l("Satisfaction"), 18, True, True),
)

VOICE_NOT_WIRED = _l("Not measured yet: ratings and feedback are not connected to the dashboards on this installation.")
NOT_ANNOUNCED = _l(
    "Not measured yet: no procedure in the catalogue names the decision that announced it (announcement in the pack)."
)
NO_POPULATION_DATA = _l("Not measured yet: onestop has no connection to the national population database.")

INDICATORS = (
    Indicator(
        "announced_on_time",
        "publicity",
        _l("Procedures announced on time"),
        6,
        None,
        None,
        why_not_measured=_l(
            "Not measured yet: onestop does not record when the legal basis of a procedure takes effect."
        ),
    ),
    Indicator(
        "published_on_time",
        "publicity",
        _l("Procedures updated and published on time"),
        4,
        "published_on_time",
        "announced",
        numerator_list="published_on_time",
        denominator_list="announced",
        shortfall_list="published_late",
        why_not_measured=NOT_ANNOUNCED,
    ),
    Indicator(
        "published_complete",
        "publicity",
        _l("Procedures published with every required part"),
        2,
        "procedures_complete",
        "procedures_published",
        numerator_list="procedures_complete",
        denominator_list="procedures_published",
        shortfall_list="procedures_incomplete",
    ),
    Indicator(
        "synchronised",
        "publicity",
        _l("Files synchronised with the national portal"),
        6,
        None,
        None,
        why_not_measured=_l("Not measured yet: onestop does not synchronise files with the national portal."),
    ),
    Indicator(
        "on_time",
        "progress",
        _l("Files decided on time"),
        20,
        "on_time",
        "decided",
        numerator_list="on_time",
        denominator_list="decided",
        shortfall_list="late",
    ),
    Indicator(
        "results_online",
        "digitisation",
        _l("Results issued electronically"),
        6,
        "returned_online",
        "returned",
        numerator_list="returned_online",
        denominator_list="returned",
        shortfall_list="returned_offline",
    ),
    Indicator(
        "digitised",
        "digitisation",
        _l("Files digitised: papers held electronically and the result issued electronically"),
        4,
        "digitised",
        "received",
        numerator_list="digitised",
        denominator_list="received",
        shortfall_list="not_digitised",
    ),
    Indicator(
        "papers_reused",
        "digitisation",
        _l("Files reusing papers already held in the data warehouse"),
        2,
        "reused",
        "received",
        numerator_list="reused",
        denominator_list="received",
        shortfall_list="not_reused",
        full_at=0.8,
    ),
    Indicator(
        "shared_for_reuse",
        "digitisation",
        _l("Files sharing data for reuse: a warehouse paper used or the result stored in the warehouse"),
        4,
        "shared_for_reuse",
        "received",
        numerator_list="shared_for_reuse",
        denominator_list="received",
        shortfall_list="not_shared",
    ),
    Indicator(
        "certified_copies",
        "digitisation",
        _l("Electronic certified copies from originals"),
        2,
        None,
        None,
        why_not_measured=_l("Not measured yet: electronic certified copies are not a service of onestop."),
    ),
    Indicator(
        "population_data_files",
        "digitisation",
        _l("Files using population data"),
        2,
        None,
        None,
        why_not_measured=NO_POPULATION_DATA,
    ),
    Indicator(
        "population_data_procedures",
        "digitisation",
        _l("Procedures connected to population data"),
        2,
        None,
        None,
        why_not_measured=NO_POPULATION_DATA,
    ),
    Indicator(
        "procedures_online",
        "online",
        _l("Procedures offered as online public services"),
        2,
        "procedures_online",
        "procedures_total",
        numerator_list="procedures_online",
        denominator_list="procedures_total",
        shortfall_list="procedures_counter_only",
        full_at=0.8,
    ),
    Indicator(
        "online_procedures_used",
        "online",
        _l("Online public services that received files"),
        4,
        "online_procedures_used",
        "procedures_online",
        numerator_list="online_procedures_used",
        denominator_list="procedures_online",
        shortfall_list="online_procedures_unused",
    ),
    Indicator(
        "filed_online",
        "online",
        _l("Files filed online"),
        6,
        "received_online",
        "received",
        numerator_list="online",
        denominator_list="received",
        shortfall_list="counter",
        full_at=0.5,
    ),
    Indicator(
        "fee_procedures_online",
        "online",
        _l("Procedures with fees offered for online payment"),
        2,
        "fee_procedures_online",
        "fee_procedures",
        numerator_list="fee_procedures_online",
        denominator_list="fee_procedures",
        shortfall_list="fee_procedures_not_payable_online",
        full_at=0.8,
    ),
    Indicator(
        "fee_procedures_paid",
        "online",
        _l("Procedures with fees paid online at least once"),
        2,
        "fee_procedures_paid",
        "fee_procedures",
        numerator_list="fee_procedures_paid",
        denominator_list="fee_procedures",
        shortfall_list="fee_procedures_not_paid_online",
        full_at=0.8,
    ),
    Indicator(
        "paid_online",
        "online",
        _l("Fees paid online"),
        6,
        "paid_online",
        "had_fee",
        numerator_list="paid_online",
        denominator_list="had_fee",
        shortfall_list="not_paid_online",
    ),
    Indicator(
        "feedback_on_time",
        "satisfaction",
        _l("Feedback handled on time"),
        6,
        "feedback_on_time",
        "feedback_total",
        why_not_measured=VOICE_NOT_WIRED,
    ),
    Indicator(
        "feedback_satisfaction",
        "satisfaction",
        _l("Satisfaction with the handling of feedback"),
        6,
        "feedback_satisfied",
        "feedback_total",
        why_not_measured=VOICE_NOT_WIRED,
    ),
    Indicator(
        "service_satisfaction",
        "satisfaction",
        _l("Satisfaction with receiving and processing procedures"),
        6,
        "service_ok",
        "decided",
        numerator_list="service_ok",
        denominator_list="decided",
        shortfall_list="service_not_ok",
        full_at=0.9,
    ),
)


@dataclass(frozen=True)
class Score:
    indicator: Indicator
    numerator: int | None
    denominator: int | None

    @property
    def measured(self) -> bool:
        return self.numerator is not None and self.denominator is not None

    @property
    def has_files(self) -> bool:
        return self.measured and bool(self.denominator)

    @property
    def percent(self) -> float | None:
        return round(100 * self.numerator / self.denominator, 1) if self.has_files else None

    @property
    def points(self) -> float | None:
        """min(maximum, maximum × rate / full_at): every point from the threshold up, in proportion below it."""
        if not self.has_files:
            return None
        maximum = self.indicator.maximum
        return round(min(maximum, maximum * self.numerator / self.denominator / self.indicator.full_at), 2)

    @property
    def shortfall(self) -> int | None:
        return self.denominator - self.numerator if self.has_files else None


@dataclass(frozen=True)
class GroupScore:
    group: Group
    scores: list[Score]

    @property
    def points(self) -> float:
        return round(sum(score.points for score in self.scores if score.points is not None), 2)

    @property
    def counted_maximum(self) -> float:
        """The points that could be earned on what was measured and had files in the period."""
        return sum(score.indicator.maximum for score in self.scores if score.has_files)

    @property
    def any_measured(self) -> bool:
        return any(score.has_files for score in self.scores)


@dataclass(frozen=True)
class IndexScore:
    groups: list[GroupScore]

    @property
    def points(self) -> float:
        return round(sum(group.points for group in self.groups), 2)

    @property
    def counted_maximum(self) -> float:
        return sum(group.counted_maximum for group in self.groups)

    @property
    def maximum(self) -> float:
        return sum(group.group.maximum for group in self.groups)

    @property
    def any_measured(self) -> bool:
        return any(group.any_measured for group in self.groups)


def score(totals: dict) -> IndexScore:
    """The index from a period's summed columns (see figures.totals); absent or None columns are not measured."""
    groups = []
    for group in GROUPS:
        scores = [
            Score(
                indicator,
                totals.get(indicator.numerator) if indicator.numerator else None,
                totals.get(indicator.denominator) if indicator.denominator else None,
            )
            for indicator in INDICATORS
            if indicator.group == group.key
        ]
        groups.append(GroupScore(group, scores))
    return IndexScore(groups)


def indicator(key: str) -> Indicator | None:
    return next((item for item in INDICATORS if item.key == key), None)
