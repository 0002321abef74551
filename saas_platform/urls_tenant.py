"""URLs of a workspace (served at <subdomain>.<platform domain>).

Every route here must have a cross-workspace isolation test: see
tests/test_isolation_coverage.py, which fails for a route that has none.
"""

from django.urls import include, path

from billing import views as billing_views
from onboarding import views as onboarding_views
from saas_platform import views
from tenants.members import views as member_views

urlpatterns = [
    path("", views.home, name="home"),
    path("welcome/<str:token>/", onboarding_views.welcome, name="welcome"),
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
    path("account/", member_views.account_security, name="account_security"),
    path("accounts/", include("allauth.urls")),
]
