"""The operator console (Django admin on the public site): every workspace at a glance."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

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

    def _set_status(self, request: HttpRequest, queryset: QuerySet[Workspace], status: str) -> None:
        for workspace in queryset:
            set_workspace_status(acting_operator=request.user, workspace=workspace, status=status)  # type: ignore[arg-type]
            self.log_change(request, workspace, f"status -> {status}")
        self.message_user(
            request, _("Updated %(count)d workspaces.") % {"count": len(queryset)}, messages.SUCCESS
        )

    @admin.action(description=_("Suspend selected workspaces"))
    def suspend(self, request: HttpRequest, queryset: QuerySet[Workspace]) -> None:
        self._set_status(request, queryset, WorkspaceStatus.SUSPENDED)

    @admin.action(description=_("Restore selected workspaces to active"))
    def restore(self, request: HttpRequest, queryset: QuerySet[Workspace]) -> None:
        self._set_status(request, queryset, WorkspaceStatus.ACTIVE)
