"""The history's field labels, made once per language, are those of the reader's language."""

from django.utils import timezone, translation

from crm.models import ChangeRecord
from crm.selectors.history import render_history


def _labels() -> list[str]:
    records = [
        ChangeRecord(
            record_type="contact",
            record_id=1,
            field=field,
            old=None,
            new="x",
            via="form",
            at=timezone.now(),
        )
        for field in ("phones", "surname")
    ]
    return [entry.field_label for entry in render_history(records)]


def test_history_labels_follow_the_language_each_time():
    for _round in range(2):  # the second round reads the labels made in the first
        with translation.override("en"):
            assert _labels()[0] == "Phones"
        with translation.override("ru"):
            assert _labels()[0] == "Телефоны"
        with translation.override("uk"):
            assert _labels()[0] == "Телефони"
