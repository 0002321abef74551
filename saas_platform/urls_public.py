"""URLs of the public site (the platform's own host)."""

from django.contrib import admin
from django.urls import include, path

from billing import views as billing_views
from onboarding import views as onboarding_views
from saas_platform import views

admin.site.site_header = "Kartoteka operators"
admin.site.site_title = "Kartoteka operators"
# The app sidebar took 300 px of a 1280 px screen and pushed the list's last columns
# (members, status) out of sight; the index page lists the same links.
admin.site.enable_nav_sidebar = False

urlpatterns = [
    path("", views.landing, name="landing"),
    path("signup/", onboarding_views.signup, name="signup"),
    path("signup/check-subdomain/", onboarding_views.check_subdomain, name="check_subdomain"),
    path("login/", onboarding_views.public_login, name="public_login"),
    path("find-workspace/", onboarding_views.find_workspace, name="find_workspace"),
    path("pricing/", billing_views.pricing, name="pricing"),
    path("billing/stripe/webhook/", billing_views.stripe_webhook, name="stripe_webhook"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]

handler400 = "saas_platform.views.bad_request"
handler403 = "saas_platform.views.permission_denied"
handler404 = "saas_platform.views.page_not_found"
handler500 = "saas_platform.views.server_error"
