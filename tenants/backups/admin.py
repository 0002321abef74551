"""Backups in the operator console: every workspace's backups, failed ones first to find."""

from django.contrib import admin
from django.http import HttpRequest

from tenants.backups.models import Backup, Restore


@admin.register(Backup)
class BackupAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "workspace",
        "reason",
        "status",
        "attempts",
        "bytes",
        "expires_at",
        "failure_reported_at",
    )
    list_filter = ("status", "reason")
    search_fields = ("workspace__subdomain", "requested_by_email", "error")
    list_select_related = ("workspace",)
    readonly_fields = [field.name for field in Backup._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Restore)
class RestoreAdmin(admin.ModelAdmin):
    list_display = ("started_at", "backup", "mode", "target_workspace", "status", "verified")
    list_filter = ("status", "mode")
    readonly_fields = [field.name for field in Restore._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
