"""Export routes, under the workspace settings (included by saas_platform.urls_tenant)."""

from django.urls import path

from onboarding.exporting import views

urlpatterns = [
    path("settings/exports/", views.export_list, name="exports"),
    path("settings/exports/new/", views.export_new, name="exports_new"),
    path("settings/exports/start/", views.export_start, name="exports_start"),
    path("settings/exports/download/<str:token>/", views.export_download, name="export_download"),
]
