"""The export form of the Exports page and of the lists' Export button."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.models import ActivityKind, DealStatus, Pipeline, TaskStatus
from onboarding.exporting.models import ExportEntity, ExportFormat
from tenants.members.models import User


class ExportForm(forms.Form):
    entity = forms.ChoiceField(label=_("What to export"), choices=ExportEntity.choices)
    file_format = forms.ChoiceField(
        label=_("Format"),
        choices=ExportFormat.choices,
        initial=ExportFormat.XLSX,
        widget=forms.RadioSelect,
    )
    delimiter = forms.ChoiceField(
        label=_("CSV separator"),
        choices=[
            (";", _("Semicolon (;) — Excel with Russian or Ukrainian settings")),
            (",", _("Comma (,) — Excel with English settings, Google Sheets")),
        ],
        required=False,
        help_text=_("Used for CSV only. XLSX opens correctly everywhere."),
    )
    # Deals.
    pipeline = forms.TypedChoiceField(label=_("Pipeline"), coerce=int, required=False)
    deal_status = forms.ChoiceField(
        label=_("Deal status"), choices=[("", _("Any")), *DealStatus.choices], required=False
    )
    # Timeline entries.
    activity_kind = forms.ChoiceField(
        label=_("Entry type"), choices=[("", _("Any")), *ActivityKind.choices], required=False
    )
    # Tasks.
    task_status = forms.ChoiceField(
        label=_("Task status"), choices=[("", _("Any")), *TaskStatus.choices], required=False
    )
    assignee = forms.TypedChoiceField(label=_("Assignee"), coerce=int, required=False)
    # Deals by creation, entries by when they happened, tasks by due date.
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    # From a list's Export button: the list's own query string and applied segment.
    query = forms.CharField(required=False, widget=forms.HiddenInput, max_length=4000)
    applied_segment = forms.CharField(required=False, widget=forms.HiddenInput, max_length=20)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["pipeline"].choices = [("", _("Any"))] + [  # type: ignore[attr-defined]
            (pk, name)
            for pk, name in Pipeline.objects.filter(archived_at__isnull=True).values_list(
                "pk", "name"
            )
        ]
        self.fields["assignee"].choices = [("", _("Anyone"))] + [  # type: ignore[attr-defined]
            (user.pk, user.display_name) for user in User.objects.filter(is_active=True)
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date is before the start date."))
        return cleaned

    def simple_filters(self) -> dict[str, Any]:
        """The filters of deals, entries or tasks, as the export stores them."""
        data = self.cleaned_data
        entity = data["entity"]
        filters: dict[str, Any] = {}
        if entity == ExportEntity.DEALS:
            if data.get("pipeline"):
                filters["pipeline"] = data["pipeline"]
            if data.get("deal_status"):
                filters["status"] = data["deal_status"]
        elif entity == ExportEntity.ACTIVITIES:
            if data.get("activity_kind"):
                filters["kind"] = data["activity_kind"]
        elif entity == ExportEntity.TASKS:
            if data.get("task_status"):
                filters["status"] = data["task_status"]
            if data.get("assignee"):
                filters["assignee"] = data["assignee"]
        if entity in (ExportEntity.DEALS, ExportEntity.ACTIVITIES, ExportEntity.TASKS):
            if data.get("date_from"):
                filters["date_from"] = data["date_from"].isoformat()
            if data.get("date_to"):
                filters["date_to"] = data["date_to"].isoformat()
        return filters
