"""Forms of the task pages: they shape input into the mappings crm.actions.tasks takes.

Only the shape is checked here (a date is a date); the rules are the actions', so the
pages and the API refuse the same things with the same messages.
"""

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.forms import MemberChoiceField, member_choices_queryset
from crm.models import Frequency, ReminderAssignee, TaskPriority


def _note_workspace_zone(form: forms.Form) -> None:
    """Say so when the due time is in a zone other than the one the member sees times in."""
    from crm.selectors.tasks import workspace_zone
    from tenants.regional import zone_label

    zone = workspace_zone()
    if timezone.get_current_timezone_name() != zone:
        form.fields["due_time"].help_text = _("In the workspace's time zone: %(zone)s.") % {
            "zone": zone_label(zone)
        }


WEEKDAYS = [
    (1, _("Mon")),
    (2, _("Tue")),
    (3, _("Wed")),
    (4, _("Thu")),
    (5, _("Fri")),
    (6, _("Sat")),
    (7, _("Sun")),
]


class TaskForm(forms.Form):
    title = forms.CharField(label=_("Task"), max_length=255)
    due_date = forms.DateField(label=_("Due date"), widget=forms.DateInput(attrs={"type": "date"}))
    due_time = forms.TimeField(
        label=_("Time"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    assignee = MemberChoiceField(label=_("Assignee"), queryset=member_choices_queryset())
    priority = forms.ChoiceField(
        label=_("Priority"), choices=TaskPriority.choices, initial=TaskPriority.NORMAL
    )
    client = forms.ChoiceField(label=_("Client"), required=False)
    deal = forms.ChoiceField(label=_("Deal"), required=False)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    repeat = forms.ChoiceField(
        label=_("Repeats"),
        required=False,
        choices=[("", _("Does not repeat")), *Frequency.choices],
    )
    interval = forms.IntegerField(
        label=_("Every"), min_value=1, max_value=366, initial=1, required=False
    )
    weekdays = forms.TypedMultipleChoiceField(
        label=_("On"),
        choices=WEEKDAYS,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    month_day = forms.IntegerField(
        label=_("Day of the month"),
        min_value=1,
        max_value=31,
        required=False,
        help_text=_("31 means the last day of every month."),
    )
    ends_on = forms.DateField(
        label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, client_choices: Any = (), deal_choices: Any = (), **kwargs: Any):
        super().__init__(*args, **kwargs)
        _note_workspace_zone(self)
        self.fields["client"].choices = [("", _("No client")), *client_choices]  # type: ignore[attr-defined]
        self.fields["deal"].choices = [("", _("No deal")), *deal_choices]  # type: ignore[attr-defined]

    def to_data(self, *, with_recurrence: bool = True) -> dict[str, Any]:
        cleaned = self.cleaned_data
        client = cleaned.get("client") or ""
        kind, _sep, pk = client.partition(":")
        data: dict[str, Any] = {
            "title": cleaned["title"],
            "due_date": cleaned["due_date"],
            "due_time": cleaned.get("due_time"),
            "assignee": cleaned["assignee"].pk,
            "priority": cleaned["priority"],
            "description": cleaned.get("description") or "",
            "contact": pk if kind == "contact" else None,
            "company": pk if kind == "company" else None,
            "deal": cleaned.get("deal") or None,
        }
        if with_recurrence:
            data["recurrence"] = (
                {
                    "frequency": cleaned["repeat"],
                    "interval": cleaned.get("interval") or 1,
                    "weekdays": cleaned.get("weekdays") or [],
                    "month_day": cleaned.get("month_day"),
                    "ends_on": cleaned.get("ends_on"),
                }
                if cleaned.get("repeat")
                else None
            )
        return data


class QuickTaskForm(forms.Form):
    title = forms.CharField(label=_("New task"), max_length=255)
    due_date = forms.DateField(label=_("Due date"), widget=forms.DateInput(attrs={"type": "date"}))
    due_time = forms.TimeField(
        label=_("Time"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        _note_workspace_zone(self)


class ReminderRuleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    target = forms.ChoiceField(label=_("Date field"))
    days_before = forms.IntegerField(label=_("Days before"), min_value=0, max_value=365, initial=0)
    task_title = forms.CharField(label=_("Task title"), max_length=255, required=False)
    assignee_rule = forms.ChoiceField(
        label=_("Task for"),
        choices=ReminderAssignee.choices,
        initial=ReminderAssignee.RESPONSIBLE,
    )
    assignee = MemberChoiceField(
        label=_("Member"), queryset=member_choices_queryset(), required=False
    )
    fallback_assignee = MemberChoiceField(
        label=_("When the client has no responsible manager"),
        queryset=member_choices_queryset(),
        required=False,
    )

    def __init__(self, *args: Any, targets: Any = (), **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["target"].choices = list(targets)  # type: ignore[attr-defined]

    def to_data(self) -> dict[str, Any]:
        cleaned = dict(self.cleaned_data)
        for key in ("assignee", "fallback_assignee"):
            cleaned[key] = cleaned[key].pk if cleaned.get(key) else None
        return cleaned


class TaskSettingsForm(forms.Form):
    members_see_only_own = forms.BooleanField(
        label=_("Members see only the clients they are responsible for"), required=False
    )
    callback_within_minutes = forms.IntegerField(
        label=_("Call back a missed call within, minutes"), min_value=1, max_value=43200
    )
