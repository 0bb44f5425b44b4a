"""The service index of Decision 766/QĐ-TTg: five groups, their indicators, and how points are given.

Which text each part follows is written in docs/service-index.md. In short: the five groups and their
maxima (publicity 18, progress and results 20, digitisation 22, online service 22, satisfaction 18, of
100) are as published; so are the 4 publicity points for procedures updated and published on time, the
20 points for files handled on time and the 6 satisfaction points for satisfaction with procedures. How
the 22 + 22 points of digitisation and online service are split among their indicators, the scoring
curve and the grading bands are not in any text we could read: they are this installation's reading,
kept in this one table so that a province holding the annex corrects them without touching anything else.

Points are proportional to the rate (a rate of 85% earns 85% of the indicator's points). An indicator
with no files in the period earns nothing and is left out of the maximum; one whose data onestop does
not record yet is shown as "not measured yet", never as zero.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class Group:
    key: str
    title: object
    maximum: float
    # Whether the group's maximum is taken from the decision's text (False: this installation's reading).
    verified: bool
    # Whether the split of the group's points among its indicators is (True) or is not (False) from the text.
    weights_verified: bool


@dataclass(frozen=True)
class Indicator:
    key: str
    group: str
    title: object
    maximum: float
    # Columns of the summed days; None: onestop does not record this yet.
    numerator: str | None
    denominator: str | None
    # Drill-down lists (onestop/dashboards/drill.py) of the files behind each side.
    numerator_list: str | None = None
    denominator_list: str | None = None
    # Files against the rate (the late ones for on-time processing): the list a leader acts on.
    shortfall_list: str | None = None
    why_not_measured: object = ""


GROUPS = (
    Group("publicity", _l("Publicity and transparency"), 18, True, False),
    Group("progress", _l("Progress and results of processing"), 20, True, True),
    Group("digitisation", _l("Digitisation of files and results"), 22, True, False),
    Group("online", _l("Online service provision"), 22, True, False),
    Group("satisfaction", _l("Satisfaction"), 18, True, False),
)

NOT_ANNOUNCED = _l(
    "Not measured yet: no procedure in the catalogue names the decision that announced it (announcement in the pack)."
)
VOICE_NOT_WIRED = _l("Not measured yet: ratings and feedback are not connected to the dashboards on this installation.")

INDICATORS = (
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
        "publicity_other",
        "publicity",
        _l("Other publicity indicators"),
        14,
        None,
        None,
        why_not_measured=_l(
            "Not measured yet: procedures announced on time, procedures published with every required part, and"
            " files synchronised to the national portal (the decision's other publicity indicators)."
        ),
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
        11,
        "returned_online",
        "returned",
        numerator_list="returned_online",
        denominator_list="returned",
        shortfall_list="returned_offline",
    ),
    Indicator(
        "papers_reused",
        "digitisation",
        _l("Files reusing papers already held in the data warehouse"),
        11,
        "reused",
        "received",
        numerator_list="reused",
        denominator_list="received",
        shortfall_list="not_reused",
    ),
    Indicator(
        "filed_online",
        "online",
        _l("Files filed online"),
        8,
        "received_online",
        "received",
        numerator_list="online",
        denominator_list="received",
        shortfall_list="counter",
    ),
    Indicator(
        "full_process_online",
        "online",
        _l("Full-process online files among those of full-process procedures"),
        7,
        "full_online",
        "full_received",
        numerator_list="full_online",
        denominator_list="full_received",
        shortfall_list="full_counter",
    ),
    Indicator(
        "paid_online",
        "online",
        _l("Fees paid online"),
        7,
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
        "ratings_satisfied",
        "ratings_total",
        why_not_measured=VOICE_NOT_WIRED,
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
        return round(self.indicator.maximum * self.numerator / self.denominator, 2) if self.has_files else None

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
