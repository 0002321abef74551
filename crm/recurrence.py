"""Date arithmetic of recurring tasks and date reminders: pure functions, no database.

A rule repeats every N days, every N weeks on chosen ISO weekdays (1 = Monday), every N
months on a day (a day the month lacks means its last day, so 31 is always the last day),
or every N years on the start date's day (February 29 falls on February 28 in other
years). Times are wall-clock times in a time zone: 9:00 stays 9:00 across daylight-saving
changes; a time the clocks skip moves forward by the gap, a time they repeat is the first.
"""

import calendar
import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

DAILY = "daily"
WEEKLY = "weekly"
MONTHLY = "monthly"
YEARLY = "yearly"
FREQUENCIES = (DAILY, WEEKLY, MONTHLY, YEARLY)

# A task with a date and no time is due at the end of its day; its notification goes at
# the start of the working day (09:00 local), this long before.
DATELESS_NOTICE_BEFORE = dt.timedelta(hours=14, minutes=59, seconds=59)
END_OF_DAY = dt.time(23, 59, 59)


@dataclass(frozen=True)
class Rule:
    """What a TaskSeries repeats by (validated by `problems`)."""

    frequency: str
    starts_on: dt.date
    interval: int = 1
    weekdays: tuple[int, ...] = field(default_factory=tuple)
    month_day: int | None = None
    ends_on: dt.date | None = None


def problems(rule: Rule) -> dict[str, str]:
    """Field -> reason (untranslated code) for a rule that cannot repeat; empty when fine."""
    found: dict[str, str] = {}
    if rule.frequency not in FREQUENCIES:
        found["frequency"] = "frequency"
    if not 1 <= rule.interval <= 366:
        found["interval"] = "interval"
    if rule.frequency == WEEKLY and (
        not rule.weekdays or any(day not in range(1, 8) for day in rule.weekdays)
    ):
        found["weekdays"] = "weekdays"
    if rule.frequency == MONTHLY and not (rule.month_day and 1 <= rule.month_day <= 31):
        found["month_day"] = "month_day"
    if rule.ends_on is not None and rule.ends_on < rule.starts_on:
        found["ends_on"] = "ends_on"
    return found


def last_day_of_month(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def day_in_month(year: int, month: int, day: int) -> dt.date:
    """`day` of the month, or its last day when the month is shorter (31 -> 30 Apr, 28/29 Feb)."""
    return dt.date(year, month, min(day, last_day_of_month(year, month)))


def _add_months(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + months
    return index // 12, index % 12 + 1


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.isoweekday() - 1)


def _candidates_after(rule: Rule, after: dt.date) -> dt.date | None:
    """The first date of the rule strictly after `after` (ignoring ends_on)."""
    start = rule.starts_on
    if rule.frequency == DAILY:
        if after < start:
            return start
        steps = (after - start).days // rule.interval + 1
        return start + dt.timedelta(days=steps * rule.interval)
    if rule.frequency == WEEKLY:
        weekdays = sorted(set(rule.weekdays))
        first_monday = _monday(start)
        day = max(after + dt.timedelta(days=1), start)
        # At most interval weeks plus one week to look through.
        for _step in range(7 * (rule.interval + 1) + 7):
            weeks = (_monday(day) - first_monday).days // 7
            if weeks % rule.interval == 0 and day.isoweekday() in weekdays:
                return day
            day += dt.timedelta(days=1)
        return None
    if rule.frequency == MONTHLY:
        month_day = rule.month_day or start.day
        base = start.year * 12 + start.month - 1
        target = max(after, start)
        aligned = max(0, (target.year * 12 + target.month - 1 - base) // rule.interval)
        for step in range(aligned, aligned + 3):
            year, month0 = divmod(base + step * rule.interval, 12)
            candidate = day_in_month(year, month0 + 1, month_day)
            if candidate > after and candidate >= start:
                return candidate
        return None
    if rule.frequency == YEARLY:
        target = max(after, start)
        aligned = max(0, (target.year - start.year) // rule.interval)
        for step in range(aligned, aligned + 3):
            candidate = day_in_month(start.year + step * rule.interval, start.month, start.day)
            if candidate > after and candidate >= start:
                return candidate
        return None
    raise ValueError(rule.frequency)


def next_occurrence(rule: Rule, after: dt.date) -> dt.date | None:
    """The rule's first date strictly after `after`, or None when the series has ended."""
    found = _candidates_after(rule, after)
    if found is None or (rule.ends_on is not None and found > rule.ends_on):
        return None
    return found


def first_occurrence(rule: Rule) -> dt.date | None:
    """The rule's first date on or after its start."""
    return next_occurrence(rule, rule.starts_on - dt.timedelta(days=1))


def next_from(rule: Rule, done_on: dt.date, today: dt.date) -> dt.date | None:
    """The occurrence to make after completing (or skipping) the one of `done_on`.

    The next date after `done_on`; when that is already past (the series was left
    alone for a while), the first date from `today` on, so finishing a late one does
    not leave a trail of overdue copies.
    """
    found = next_occurrence(rule, done_on)
    if found is not None and found < today:
        found = next_occurrence(rule, today - dt.timedelta(days=1))
    return found


def occurrences(rule: Rule, count: int) -> list[dt.date]:
    """The rule's first `count` dates (for previews and tests)."""
    found: list[dt.date] = []
    current = first_occurrence(rule)
    while current is not None and len(found) < count:
        found.append(current)
        current = next_occurrence(rule, current)
    return found


def local_moment(day: dt.date, time: dt.time | None, time_zone: str) -> dt.datetime:
    """The aware moment of wall-clock `time` on `day` in `time_zone` (end of day when no time).

    A time skipped by a daylight-saving jump moves forward by the gap (02:30 on a
    spring-forward night is 03:30); a repeated time is its first occurrence.
    """
    zone = ZoneInfo(time_zone)
    naive = dt.datetime.combine(day, time or END_OF_DAY)
    aware = naive.replace(tzinfo=zone, fold=0)
    # Round-trip through UTC normalises a time that does not exist locally.
    return aware.astimezone(dt.UTC).astimezone(zone)


def notify_at(due_at: dt.datetime, has_time: bool) -> dt.datetime:
    """When the due notification of a task goes (the due moment, or 09:00 of a dateless day)."""
    return due_at if has_time else due_at - DATELESS_NOTICE_BEFORE


def anniversary_on_or_after(month: int, day: int, start: dt.date) -> dt.date:
    """The first date on or after `start` that is month/day (29 Feb -> 28 Feb in other years)."""
    candidate = day_in_month(start.year, month, day)
    if candidate < start:
        candidate = day_in_month(start.year + 1, month, day)
    return candidate
