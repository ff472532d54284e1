"""The main pages the benchmark times and whose query counts must not grow with the data
(tests/test_query_counts.py walks the same list). Each is opened by the practice's admin."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from bench.generate import Landmarks


@dataclass(frozen=True)
class Page:
    name: str
    path: Callable[[Landmarks], str]
    kind: str = "page"  # "report": a report over a period, allowed more time

    def url(self, landmarks: Landmarks) -> str:
        return self.path(landmarks)


def _four_weeks(m: Landmarks) -> str:
    """The reports' default range: the four whole weeks before this one."""
    today = date.fromisoformat(m.today)
    monday = today - timedelta(days=today.weekday())
    return f"start={monday - timedelta(weeks=4)}&end={monday - timedelta(days=1)}"


def _a_year(m: Landmarks) -> str:
    today = date.fromisoformat(m.today)
    return f"start={today - timedelta(days=365)}&end={today - timedelta(days=1)}"


PAGES = (
    Page("today", lambda m: "/today"),
    Page("calendar, day", lambda m: f"/calendar?date={m.today}"),
    Page("calendar, week", lambda m: f"/calendar?view=week&date={m.today}"),
    Page("clients, list", lambda m: "/clients/"),
    Page("clients, search", lambda m: f"/clients/?q={m.search}"),
    Page("client page, long history", lambda m: f"/clients/{m.featured_client_id}"),
    Page("conduct record", lambda m: f"/clients/{m.featured_client_id}/conduct"),
    Page("review of a busy day", lambda m: f"/review/?practitioner={m.practitioner_id}&day={m.review_day}"),
    Page("reports, 4 weeks", lambda m: f"/reports/?{_four_weeks(m)}&practitioner=practice", kind="report"),
    Page("reports, a year", lambda m: f"/reports/?{_a_year(m)}&practitioner=practice", kind="report"),
    Page("referrals", lambda m: "/referrals/"),
    Page("match", lambda m: f"/referrals/match?client={m.featured_client_id}&modality={m.modality_id}"),
    Page("letters register", lambda m: "/letters"),
    Page("audit", lambda m: "/audit/"),
    Page("booking form", lambda m: "/appointments/new"),
)

FLOOR = Page("floor page", lambda m: f"/bench/floor/{m.featured_client_id}")
