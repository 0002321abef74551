"""The date arithmetic of recurring tasks (crm.recurrence): pure, no database."""

import datetime as dt

import pytest

from crm import recurrence
from crm.recurrence import Rule

D = dt.date


def test_every_three_days_from_the_start():
    rule = Rule(recurrence.DAILY, D(2026, 1, 30), interval=3)
    assert recurrence.occurrences(rule, 4) == [
        D(2026, 1, 30),
        D(2026, 2, 2),
        D(2026, 2, 5),
        D(2026, 2, 8),
    ]


def test_daily_next_after_a_date_between_occurrences_keeps_the_rhythm():
    rule = Rule(recurrence.DAILY, D(2026, 1, 1), interval=7)
    assert recurrence.next_occurrence(rule, D(2026, 1, 10)) == D(2026, 1, 15)


def test_weekly_on_monday_and_thursday():
    rule = Rule(recurrence.WEEKLY, D(2026, 11, 25), weekdays=(1, 4))  # a Wednesday
    assert recurrence.occurrences(rule, 4) == [
        D(2026, 11, 26),
        D(2026, 11, 30),
        D(2026, 12, 3),
        D(2026, 12, 7),
    ]


def test_every_second_week_skips_the_week_between():
    rule = Rule(recurrence.WEEKLY, D(2026, 11, 30), interval=2, weekdays=(1,))
    assert recurrence.occurrences(rule, 3) == [D(2026, 11, 30), D(2026, 12, 14), D(2026, 12, 28)]


def test_monthly_on_the_31st_is_the_last_day_of_every_month():
    rule = Rule(recurrence.MONTHLY, D(2026, 1, 31), month_day=31)
    assert recurrence.occurrences(rule, 5) == [
        D(2026, 1, 31),
        D(2026, 2, 28),
        D(2026, 3, 31),
        D(2026, 4, 30),
        D(2026, 5, 31),
    ]


def test_monthly_on_the_30th_in_a_leap_february():
    rule = Rule(recurrence.MONTHLY, D(2028, 1, 30), month_day=30)
    assert recurrence.occurrences(rule, 3) == [D(2028, 1, 30), D(2028, 2, 29), D(2028, 3, 30)]


def test_monthly_after_a_short_month_returns_to_the_chosen_day():
    rule = Rule(recurrence.MONTHLY, D(2026, 1, 31), month_day=31)
    assert recurrence.next_occurrence(rule, D(2026, 2, 28)) == D(2026, 3, 31)


def test_monthly_starting_after_the_day_begins_next_month():
    rule = Rule(recurrence.MONTHLY, D(2026, 11, 20), month_day=5)
    assert recurrence.first_occurrence(rule) == D(2026, 12, 5)


def test_every_three_months_across_the_year_end():
    rule = Rule(recurrence.MONTHLY, D(2026, 11, 15), interval=3, month_day=15)
    assert recurrence.occurrences(rule, 3) == [D(2026, 11, 15), D(2027, 2, 15), D(2027, 5, 15)]


def test_yearly_on_february_29_falls_on_the_28th_in_other_years():
    rule = Rule(recurrence.YEARLY, D(2028, 2, 29))
    assert recurrence.occurrences(rule, 5) == [
        D(2028, 2, 29),
        D(2029, 2, 28),
        D(2030, 2, 28),
        D(2031, 2, 28),
        D(2032, 2, 29),
    ]


def test_yearly_next_after_the_28th_in_a_common_year_is_next_year():
    rule = Rule(recurrence.YEARLY, D(2028, 2, 29))
    assert recurrence.next_occurrence(rule, D(2029, 2, 28)) == D(2030, 2, 28)


def test_a_series_with_an_end_date_stops():
    rule = Rule(recurrence.DAILY, D(2026, 1, 1), ends_on=D(2026, 1, 2))
    assert recurrence.occurrences(rule, 10) == [D(2026, 1, 1), D(2026, 1, 2)]
    assert recurrence.next_occurrence(rule, D(2026, 1, 2)) is None


def test_next_from_a_long_forgotten_occurrence_jumps_to_today():
    rule = Rule(recurrence.WEEKLY, D(2026, 1, 5), weekdays=(1,))
    assert recurrence.next_from(rule, D(2026, 1, 5), today=D(2026, 3, 4)) == D(2026, 3, 9)
    assert recurrence.next_from(rule, D(2026, 3, 2), today=D(2026, 3, 4)) == D(2026, 3, 9)


def test_next_from_a_recent_occurrence_is_simply_the_next():
    rule = Rule(recurrence.DAILY, D(2026, 1, 1))
    assert recurrence.next_from(rule, D(2026, 1, 1), today=D(2026, 1, 1)) == D(2026, 1, 2)


@pytest.mark.parametrize(
    ("rule", "field"),
    [
        (Rule("hourly", D(2026, 1, 1)), "frequency"),
        (Rule(recurrence.DAILY, D(2026, 1, 1), interval=0), "interval"),
        (Rule(recurrence.WEEKLY, D(2026, 1, 1)), "weekdays"),
        (Rule(recurrence.WEEKLY, D(2026, 1, 1), weekdays=(8,)), "weekdays"),
        (Rule(recurrence.MONTHLY, D(2026, 1, 1), month_day=32), "month_day"),
        (Rule(recurrence.DAILY, D(2026, 1, 2), ends_on=D(2026, 1, 1)), "ends_on"),
    ],
)
def test_rules_that_cannot_repeat_are_refused(rule, field):
    assert field in recurrence.problems(rule)


def test_a_valid_rule_has_no_problems():
    assert recurrence.problems(Rule(recurrence.MONTHLY, D(2026, 1, 1), month_day=31)) == {}


def test_nine_oclock_stays_nine_oclock_across_the_autumn_change():
    before = recurrence.local_moment(D(2026, 10, 24), dt.time(9, 0), "Europe/Kyiv")
    after = recurrence.local_moment(D(2026, 10, 26), dt.time(9, 0), "Europe/Kyiv")
    assert (before.hour, after.hour) == (9, 9)
    assert before.utcoffset() == dt.timedelta(hours=3)
    assert after.utcoffset() == dt.timedelta(hours=2)
    assert before.astimezone(dt.UTC).hour == 6
    assert after.astimezone(dt.UTC).hour == 7


def test_a_time_the_clocks_skip_moves_forward_by_the_gap():
    moment = recurrence.local_moment(D(2026, 3, 29), dt.time(3, 30), "Europe/Kyiv")
    assert (moment.hour, moment.minute) == (4, 30)
    assert moment.utcoffset() == dt.timedelta(hours=3)


def test_a_repeated_time_is_its_first_occurrence():
    moment = recurrence.local_moment(D(2026, 10, 25), dt.time(3, 30), "Europe/Kyiv")
    assert moment.astimezone(dt.UTC) == dt.datetime(2026, 10, 25, 0, 30, tzinfo=dt.UTC)


def test_moscow_has_no_daylight_saving():
    winter = recurrence.local_moment(D(2026, 1, 15), dt.time(9, 0), "Europe/Moscow")
    summer = recurrence.local_moment(D(2026, 7, 15), dt.time(9, 0), "Europe/Moscow")
    assert winter.utcoffset() == summer.utcoffset() == dt.timedelta(hours=3)


def test_a_dateless_task_is_due_at_the_end_of_its_day_and_notified_at_nine():
    due = recurrence.local_moment(D(2026, 12, 1), None, "Europe/Kyiv")
    assert (due.hour, due.minute) == (23, 59)
    notice = recurrence.notify_at(due, has_time=False)
    assert (notice.hour, notice.minute) == (9, 0)
    assert recurrence.notify_at(due, has_time=True) == due


def test_anniversary_of_february_29_in_a_common_year():
    assert recurrence.anniversary_on_or_after(2, 29, D(2027, 1, 1)) == D(2027, 2, 28)
    assert recurrence.anniversary_on_or_after(2, 29, D(2027, 3, 1)) == D(2028, 2, 29)
