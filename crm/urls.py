"""The CRM pages of a workspace (included by saas_platform.urls_tenant; names start with crm_)."""

from django.urls import path

from crm.views import deals, lists, people, pipelines, records, search, timeline

urlpatterns = [
    path("search/", search.search, name="crm_search"),
    path("contacts/", lists.contact_list, name="crm_contact_list"),
    path("contacts/new/", records.contact_create, name="crm_contact_create"),
    path("contacts/<int:contact_id>/", records.contact_detail, name="crm_contact_detail"),
    path("contacts/<int:contact_id>/edit/", records.contact_edit, name="crm_contact_edit"),
    path("contacts/<int:contact_id>/archive/", records.contact_archive, name="crm_contact_archive"),
    path("contacts/<int:contact_id>/restore/", records.contact_restore, name="crm_contact_restore"),
    path("contacts/<int:contact_id>/consent/", records.contact_consent, name="crm_contact_consent"),
    path("contacts/<int:contact_id>/companies/", records.link_company, name="crm_contact_link"),
    path(
        "contacts/<int:contact_id>/companies/<int:company_id>/remove/",
        records.unlink_company,
        name="crm_contact_unlink",
    ),
    path("companies/", lists.company_list, name="crm_company_list"),
    path("companies/new/", records.company_create, name="crm_company_create"),
    path("companies/<int:company_id>/", records.company_detail, name="crm_company_detail"),
    path("companies/<int:company_id>/edit/", records.company_edit, name="crm_company_edit"),
    path(
        "companies/<int:company_id>/archive/", records.company_archive, name="crm_company_archive"
    ),
    path(
        "companies/<int:company_id>/restore/", records.company_restore, name="crm_company_restore"
    ),
    path("clients/<str:record_type>/bulk/", lists.bulk_action, name="crm_bulk"),
    path("clients/<str:record_type>/columns/", lists.save_columns, name="crm_columns_save"),
    path("clients/<str:record_type>/segments/", lists.create_segment, name="crm_segment_create"),
    path("segments/<int:segment_id>/delete/", lists.delete_segment, name="crm_segment_delete"),
    path("clients/<str:record_type>/merge/", people.merge, name="crm_merge"),
    path("merges/<int:merge_id>/undo/", people.merge_undo, name="crm_merge_undo"),
    path("clients/to-complete/", lists.to_complete, name="crm_to_complete"),
    path("settings/members/<int:member_id>/hand-over/", people.hand_over, name="crm_hand_over"),
    path("deals/", deals.deal_board, name="crm_deal_board"),
    path("deals/list/", deals.deal_list, name="crm_deal_list"),
    path("deals/forecast/", deals.deal_forecast, name="crm_deal_forecast"),
    path("deals/new/", deals.deal_create, name="crm_deal_create"),
    path("deals/<int:deal_id>/", deals.deal_detail, name="crm_deal_detail"),
    path("deals/<int:deal_id>/edit/", deals.deal_edit, name="crm_deal_edit"),
    path("deals/<int:deal_id>/move/", deals.deal_move, name="crm_deal_move"),
    path("deals/<int:deal_id>/win/", deals.deal_win, name="crm_deal_win"),
    path("deals/<int:deal_id>/lose/", deals.deal_lose, name="crm_deal_lose"),
    path("deals/<int:deal_id>/reopen/", deals.deal_reopen, name="crm_deal_reopen"),
    path("deals/<int:deal_id>/archive/", deals.deal_archive, name="crm_deal_archive"),
    path("deals/<int:deal_id>/restore/", deals.deal_restore, name="crm_deal_restore"),
    path("settings/pipelines/", pipelines.pipeline_settings, name="crm_pipeline_settings"),
    path("settings/pipelines/new/", pipelines.pipeline_create, name="crm_pipeline_create"),
    path(
        "settings/pipelines/<int:pipeline_id>/",
        pipelines.pipeline_update,
        name="crm_pipeline_update",
    ),
    path(
        "settings/pipelines/<int:pipeline_id>/stages/",
        pipelines.stage_create,
        name="crm_stage_create",
    ),
    path("settings/stages/<int:stage_id>/", pipelines.stage_update, name="crm_stage_update"),
    path("settings/loss-reasons/", pipelines.loss_reason_create, name="crm_loss_reason_create"),
    path(
        "settings/loss-reasons/<int:reason_id>/",
        pipelines.loss_reason_update,
        name="crm_loss_reason_update",
    ),
    path("timeline/<str:record_type>/<int:record_id>/", timeline.timeline, name="crm_timeline"),
    path(
        "timeline/<str:record_type>/<int:record_id>/log/",
        timeline.log_activity,
        name="crm_activity_log",
    ),
    path("activities/<int:activity_id>/edit/", timeline.edit_activity, name="crm_activity_edit"),
    path(
        "activities/<int:activity_id>/versions/",
        timeline.activity_versions_page,
        name="crm_activity_versions",
    ),
    path(
        "activities/<int:activity_id>/archive/",
        timeline.archive_activity,
        name="crm_activity_archive",
    ),
    path(
        "activities/<int:activity_id>/restore/",
        timeline.restore_activity,
        name="crm_activity_restore",
    ),
    path("activities/<int:activity_id>/file/", timeline.activity_file, name="crm_activity_file"),
]
