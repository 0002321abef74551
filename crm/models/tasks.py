"""Tasks, their recurring series, date reminders and the in-app notifications.

Scheduled work is idempotent by design: every task a schedule makes carries a unique
`occurrence_key` (a series' occurrence, a reminder rule's client and date, a missed
call), and every notification a unique `key`, so beat running twice, or a worker dying
and its task being retried, can never make a second one. Rules live in crm.actions.tasks.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class TaskPriority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")


class TaskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    SKIPPED = "skipped", _("Skipped")


class TaskOrigin(models.TextChoices):
    MANUAL = "manual", _("Created by a member")
    RECURRENCE = "recurrence", _("Recurring task")
    DATE_REMINDER = "date_reminder", _("Date reminder")
    MISSED_CALL = "missed_call", _("Missed call")
    API = "api", _("API")
    IMPORT = "import", _("Import")


class Frequency(models.TextChoices):
    DAILY = "daily", _("Every N days")
    WEEKLY = "weekly", _("Weekly on chosen days")
    MONTHLY = "monthly", _("Monthly on a day")
    YEARLY = "yearly", _("Yearly")


class TaskSeries(models.Model):
    """A recurring task: the rule and the template each occurrence is made from.

    Times are wall-clock times in `time_zone` (the workspace's when created), so
    "every Monday at 9:00" stays 9:00 across daylight-saving changes.
    """

    title = models.CharField(_("title"), max_length=255)
    description = models.TextField(_("description"), blank=True)
    priority = models.CharField(
        _("priority"), max_length=8, choices=TaskPriority.choices, default=TaskPriority.NORMAL
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    contact = models.ForeignKey(
        "crm.Contact", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    company = models.ForeignKey(
        "crm.Company", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    deal = models.ForeignKey(
        "crm.Deal", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    frequency = models.CharField(_("repeats"), max_length=8, choices=Frequency.choices)
    interval = models.PositiveSmallIntegerField(_("every"), default=1)
    # ISO weekdays 1..7 for weekly; the day of month 1..31 for monthly (31 = the last day).
    weekdays = models.JSONField(default=list, blank=True)
    month_day = models.PositiveSmallIntegerField(null=True, blank=True)
    starts_on = models.DateField(_("starts on"))
    due_time = models.TimeField(_("time"), null=True, blank=True)
    time_zone = models.CharField(max_length=64)
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("recurring task")
        verbose_name_plural = _("recurring tasks")

    def __str__(self) -> str:
        return self.title


class Task(models.Model):
    title = models.CharField(_("title"), max_length=255)
    description = models.TextField(_("description"), blank=True)
    priority = models.CharField(
        _("priority"), max_length=8, choices=TaskPriority.choices, default=TaskPriority.NORMAL
    )
    # The moment it is due (aware). Without a time (`due_has_time` False) it is the end
    # of `due_date` in the workspace's time zone, and notifications go in the morning.
    due_at = models.DateTimeField(_("due"))
    due_date = models.DateField(_("due date"))
    due_has_time = models.BooleanField(default=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("assignee"),
    )
    contact = models.ForeignKey(
        "crm.Contact", on_delete=models.PROTECT, null=True, blank=True, related_name="tasks"
    )
    company = models.ForeignKey(
        "crm.Company", on_delete=models.PROTECT, null=True, blank=True, related_name="tasks"
    )
    deal = models.ForeignKey(
        "crm.Deal", on_delete=models.PROTECT, null=True, blank=True, related_name="tasks"
    )
    status = models.CharField(
        _("status"), max_length=8, choices=TaskStatus.choices, default=TaskStatus.OPEN
    )
    result = models.TextField(_("result"), blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    origin = models.CharField(max_length=16, choices=TaskOrigin.choices, default="manual")
    series = models.ForeignKey(
        TaskSeries, on_delete=models.PROTECT, null=True, blank=True, related_name="tasks"
    )
    # What made it, once: "series:<id>:<date>", "reminder:<rule>:<record>:<date>",
    # "missed-call:<activity uuid>". Unique, so a schedule run twice makes one task.
    occurrence_key = models.CharField(max_length=200, null=True, blank=True, unique=True)
    # Set when the due notification was made (the sweep's "not yet" filter).
    notified_at = models.DateTimeField(null=True, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_at", "id"]
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        indexes = [
            models.Index(
                fields=["assignee", "due_at", "id"],
                condition=Q(status="open", archived_at__isnull=True),
                name="crm_task_my_open",
            ),
            models.Index(
                fields=["due_at"],
                condition=Q(status="open", notified_at__isnull=True, archived_at__isnull=True),
                name="crm_task_due_sweep",
            ),
            models.Index(fields=["contact", "due_at"], name="crm_task_contact"),
            models.Index(fields=["company", "due_at"], name="crm_task_company"),
            models.Index(fields=["deal", "due_at"], name="crm_task_deal"),
        ]

    def __str__(self) -> str:
        return self.title


class ReminderAssignee(models.TextChoices):
    RESPONSIBLE = "responsible", _("The client's responsible manager")
    MEMBER = "member", _("A chosen member")


class DateReminderRule(models.Model):
    """'14 days before <date field>, a task for the responsible manager', per workspace.

    `field` is "birthday" (contacts) or "custom.<key>" of a date custom field of
    `entity`. Each occurrence makes one task per client, keyed
    "reminder:<rule id>:<entity>:<record id>:<date>".
    """

    name = models.CharField(_("name"), max_length=120)
    entity = models.CharField(_("record type"), max_length=16)
    field = models.CharField(_("date field"), max_length=60)
    days_before = models.PositiveSmallIntegerField(_("days before"), default=0)
    task_title = models.CharField(_("task title"), max_length=255)
    assignee_rule = models.CharField(
        max_length=16, choices=ReminderAssignee.choices, default=ReminderAssignee.RESPONSIBLE
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Whom to assign when the rule says "responsible" but the client has none.
    fallback_assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    active = models.BooleanField(default=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("date reminder")
        verbose_name_plural = _("date reminders")

    def __str__(self) -> str:
        return self.name


class Notification(models.Model):
    """An in-app notification (the bell), e-mailed too when `emailed_at` is set."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="crm_notifications"
    )
    kind = models.CharField(max_length=32)
    # Unique per event ("task-due:<task id>:<due_at iso>"): made once, whatever retries.
    key = models.CharField(max_length=200, unique=True)
    task = models.ForeignKey(
        Task, on_delete=models.CASCADE, null=True, blank=True, related_name="notifications"
    )
    # What the bell shows, in the recipient's language when made, and where it leads.
    text = models.CharField(max_length=500)
    url = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["recipient", "-created_at"],
                condition=Q(read_at__isnull=True),
                name="crm_notification_unread",
            ),
            models.Index(fields=["recipient", "-created_at", "-id"], name="crm_notification_all"),
        ]

    def __str__(self) -> str:
        return self.text
