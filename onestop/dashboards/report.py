"""Everything one dashboard page (or its export) shows for a scope and a period, gathered in one place."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from onestop.dashboards import figures, index, memo, procedure_figures, publicity
from onestop.dashboards.access import Scope, agencies_of
from onestop.dashboards.periods import Period
from onestop.provinces.models import Agency


@dataclass(frozen=True)
class Report:
    scope: Scope
    period: Period
    totals: dict
    index: index.IndexScore
    figures: list[figures.Figure]
    months: list[tuple[str, dict]]
    agencies: list[Agency]
    agency_sums: dict[int, dict]

    @property
    def overdue(self) -> int:
        """The live "overdue now" count (the only figure not read from the summaries)."""
        return next(figure.count for figure in self.figures if figure.key == "overdue")

    @property
    def has_data(self) -> bool:
        return any(self.totals[name] for name in ("received", "decided", "transferred")) or any(
            figure.key == "overdue" and figure.count for figure in self.figures
        )


def _summed(scope: Scope, first: date, last: date, trend_first: date) -> tuple:
    """What the summary tables say of the period: per agency, per month, the histogram and the totals."""
    sums, months, counts = figures.read(scope.agency_ids, first, last, trend_first, durations=True)
    totals = (
        figures.add_up(list(sums.values()))
        | publicity.totals(scope, first, last)
        | procedure_figures.totals(scope, first, last)
    )
    return sums, months, counts, totals


def build(scope: Scope, period: Period, today: date) -> Report:
    """The index, the operational figures, the months of the period (of its year, at least) and the agencies."""
    # Trends: the months of the period, or the year up to its end when the period is shorter than that.
    trend_first = min(period.first, period.last.replace(month=1, day=1))
    sums, months, counts, totals = memo.kept(
        scope.province.id,
        ("report", tuple(scope.agency_ids), scope.agency_id, period.first, period.last, trend_first),
        lambda: _summed(scope, period.first, period.last, trend_first),
    )
    overdue = figures.overdue_total(scope.agency_ids, today)
    agencies = agencies_of(scope) if scope.agency is None else []
    return Report(
        scope=scope,
        period=period,
        totals=totals,
        index=index.score(totals),
        figures=figures.operational(totals, overdue, counts),
        months=months,
        agencies=agencies,
        agency_sums=sums,
    )
