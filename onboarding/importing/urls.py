"""The import wizard's pages, mounted at /import/ on a workspace host (namespace `importing`)."""

from django.urls import path

from onboarding.importing import views

app_name = "importing"

urlpatterns = [
    path("", views.start, name="start"),
    path("history/", views.history, name="history"),
    path("<uuid:job_uuid>/", views.job, name="job"),
    path("<uuid:job_uuid>/reading/", views.read_settings, name="read_settings"),
    path("<uuid:job_uuid>/columns/", views.mapping, name="mapping"),
    path("<uuid:job_uuid>/columns/saved/", views.use_saved_mapping, name="use_saved_mapping"),
    path("<uuid:job_uuid>/check/", views.check, name="check"),
    path("<uuid:job_uuid>/failing-rows/", views.failing_rows, name="failing_rows"),
    path("<uuid:job_uuid>/duplicates/", views.duplicates, name="duplicates"),
    path("<uuid:job_uuid>/run/", views.run, name="run"),
    path("<uuid:job_uuid>/progress/", views.progress, name="progress"),
    path("<uuid:job_uuid>/cancel/", views.cancel, name="cancel"),
    path("<uuid:job_uuid>/undo/", views.undo, name="undo"),
]
