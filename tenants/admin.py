"""The operator console (Django admin on the public site): every workspace at a glance."""

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from tenants.actions import set_workspace_status
from tenants.models import Workspace, WorkspaceStatus
from tenants.selectors import workspace_url, workspaces_for_operators


@admin.register(Workspace)
class WorkspaceAdmin(admin.ModelAdmin):
    list_display = ("name", "subdomain", "created_at", "owner_email", "members_count", "status")
    list_filter = ("status",)
    search_fields = ("name", "subdomain", "member_directory__email")
    ordering = ("-created_at",)
    readonly_fields = (
        "name",
        "subdomain",
        "schema_name",
        "status",
        "default_country",
        "time_zone",
        "default_language",
        "created_at",
        "address",
    )
    exclude = ("kind",)
    actions = ("suspend", "restore")
    list_per_page = 100

    def get_queryset(self, request: HttpRequest) -> QuerySet[Workspace]:
        return workspaces_for_operators()

    @admin.display(description=_("owner e-mail"))
    def owner_email(self, workspace: Workspace) -> str:
        return getattr(workspace, "owner_email", None) or "—"

    @admin.display(description=_("members"), ordering="members_count")
    def members_count(self, workspace: Workspace) -> int:
        return getattr(workspace, "members_count", 0)

    @admin.display(description=_("address"))
    def address(self, workspace: Workspace) -> str:
        return workspace_url(workspace)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # Workspaces are created by signup or `manage.py create_workspace`.

    def has_delete_permission(self, request: HttpRequest, obj: Workspace | None = None) -> bool:
        return False  # Nothing is deleted: suspend instead.

    def has_change_permission(self, request: HttpRequest, obj: Workspace | None = None) -> bool:
        # The workspace page is read-only (a view page, no Save buttons): its fields belong
        # to the workspace's admins. Status changes go through the list's actions.
        return False

    def _set_status(self, request: HttpRequest, queryset: QuerySet[Workspace], status: str) -> int:
        count = 0
        for workspace in queryset:
            set_workspace_status(acting_operator=request.user, workspace=workspace, status=status)  # type: ignore[arg-type]
            self.log_change(request, workspace, f"status -> {status}")
            count += 1
        return count

    @admin.action(description=_("Suspend selected workspaces"))
    def suspend(self, request: HttpRequest, queryset: QuerySet[Workspace]) -> HttpResponse | None:
        """Suspending locks a whole team out: the operator confirms on a page listing them."""
        if request.POST.get("post") != "yes":
            context = {
                **self.admin_site.each_context(request),
                "title": _("Suspend these workspaces?"),
                "workspaces": list(queryset),
                "opts": self.model._meta,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                "action_name": "suspend",
            }
            return TemplateResponse(
                request, "admin/tenants/workspace/suspend_confirmation.html", context
            )
        count = self._set_status(request, queryset, WorkspaceStatus.SUSPENDED)
        self.message_user(
            request,
            ngettext(
                "Suspended %(count)d workspace. Its members see a notice; all data is kept.",
                "Suspended %(count)d workspaces. Their members see a notice; all data is kept.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )
        return None

    @admin.action(description=_("Restore selected workspaces to active"))
    def restore(self, request: HttpRequest, queryset: QuerySet[Workspace]) -> None:
        count = self._set_status(request, queryset, WorkspaceStatus.ACTIVE)
        self.message_user(
            request,
            ngettext(
                "Restored %(count)d workspace to active.",
                "Restored %(count)d workspaces to active.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )
