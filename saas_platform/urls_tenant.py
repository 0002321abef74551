"""URLs of a workspace (served at <subdomain>.<platform domain>).

Every route here must have a cross-workspace isolation test: see
tests/test_isolation_coverage.py, which fails for a route that has none.
"""

from django.urls import include, path

from billing import views as billing_views
from crm.views import custom_fields as field_views
from onboarding import views as onboarding_views
from saas_platform import views
from saas_platform.api import api
from tenants.api_keys import views as api_key_views
from tenants.backups import views as backup_views
from tenants.members import views as member_views

urlpatterns = [
    path("", views.home, name="home"),
    path("welcome/", onboarding_views.welcome, name="welcome"),
    path(
        "welcome/checklist/",
        onboarding_views.checklist_visibility,
        name="checklist_visibility",
    ),
    path("invite/<str:token>/", member_views.accept_invitation, name="invitation_accept"),
    path("settings/members/", member_views.member_list, name="members"),
    path(
        "settings/members/<int:member_id>/role/",
        member_views.change_role,
        name="member_change_role",
    ),
    path(
        "settings/members/<int:member_id>/deactivate/",
        member_views.deactivate,
        name="member_deactivate",
    ),
    path(
        "settings/members/<int:member_id>/reactivate/",
        member_views.reactivate,
        name="member_reactivate",
    ),
    path(
        "settings/invitations/<int:invitation_id>/revoke/",
        member_views.revoke_invitation,
        name="invitation_revoke",
    ),
    path("settings/workspace/", member_views.workspace_settings, name="workspace_settings"),
    path("settings/backups/", backup_views.backup_list, name="backup_list"),
    path("settings/backups/rows/", backup_views.backup_list_rows, name="backup_list_rows"),
    path("settings/backups/order/", billing_views.order_backup, name="backup_order"),
    path("settings/backups/paid/", billing_views.backup_order_return, name="backup_order_return"),
    path("settings/backups/schedule/", billing_views.backup_schedule, name="backup_schedule"),
    path(
        "settings/backups/download/<str:token>/",
        backup_views.backup_download,
        name="backup_download",
    ),
    path("", include("onboarding.exporting.urls")),
    path("settings/api-keys/", api_key_views.api_key_list, name="api_keys"),
    path("settings/api-keys/<int:key_id>/revoke/", api_key_views.revoke, name="api_key_revoke"),
    path("settings/billing/", billing_views.billing, name="billing"),
    path("settings/billing/subscribe/", billing_views.subscribe, name="billing_subscribe"),
    path("settings/billing/progress/", billing_views.progress, name="billing_progress"),
    path(
        "settings/billing/progress/status/",
        billing_views.progress_status,
        name="billing_progress_status",
    ),
    path("settings/billing/seats/", billing_views.seats, name="billing_seats"),
    path("settings/billing/plan/", billing_views.change_plan, name="billing_plan"),
    path("settings/billing/cancel/", billing_views.cancel, name="billing_cancel"),
    path("settings/billing/portal/", billing_views.portal, name="billing_portal"),
    path("settings/language/", member_views.set_language, name="set_language"),
    # Custom fields and required fields (crm/views/custom_fields.py).
    path("settings/fields/", field_views.fields_index, name="crm_fields_index"),
    path("settings/fields/<int:field_id>/edit/", field_views.field_edit, name="crm_fields_edit"),
    path(
        "settings/fields/<int:field_id>/type/",
        field_views.field_change_type,
        name="crm_fields_change_type",
    ),
    path("settings/fields/<int:field_id>/move/", field_views.field_move, name="crm_fields_move"),
    path(
        "settings/fields/<int:field_id>/archive/",
        field_views.field_archive,
        name="crm_fields_archive",
    ),
    path(
        "settings/fields/<int:field_id>/restore/",
        field_views.field_restore,
        name="crm_fields_restore",
    ),
    path(
        "settings/fields/<slug:entity>/required/",
        field_views.required_fields,
        name="crm_fields_required",
    ),
    path("settings/fields/<slug:entity>/new/", field_views.field_create, name="crm_fields_create"),
    path("settings/fields/<slug:entity>/", field_views.fields_list, name="crm_fields_list"),
    path("account/", member_views.account_security, name="account_security"),
    path("account/time-zone/", member_views.set_time_zone, name="account_time_zone"),
    path("accounts/", include("allauth.urls")),
    # The REST API (workspace hosts only: the public site has no /api/).
    path("api/", api.urls),
    # The import wizard and the history of imports (onboarding/importing).
    path("import/", include("onboarding.importing.urls")),
    path("", include("crm.urls")),
]

handler400 = "saas_platform.views.bad_request"
handler403 = "saas_platform.views.permission_denied"
handler404 = "saas_platform.views.page_not_found"
handler500 = "saas_platform.views.server_error"
