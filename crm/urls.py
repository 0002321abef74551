"""The CRM pages of a workspace (included by saas_platform.urls_tenant; names start with crm_)."""

from django.urls import path

from crm.views import lists, people, records, search, tasks

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
    path("tasks/", tasks.my_tasks, name="crm_my_tasks"),
    path("tasks/team/", tasks.team_tasks, name="crm_team_tasks"),
    path("tasks/new/", tasks.task_create, name="crm_task_create"),
    path("tasks/quick-add/", tasks.task_quick_add, name="crm_task_quick_add"),
    path("tasks/client-options/", tasks.link_options, name="crm_task_client_options"),
    path("tasks/<int:task_id>/", tasks.task_detail, name="crm_task_detail"),
    path("tasks/<int:task_id>/edit/", tasks.task_edit, name="crm_task_edit"),
    path("tasks/<int:task_id>/complete/", tasks.task_complete, name="crm_task_complete"),
    path("tasks/<int:task_id>/skip/", tasks.task_skip, name="crm_task_skip"),
    path("tasks/<int:task_id>/reopen/", tasks.task_reopen, name="crm_task_reopen"),
    path("tasks/<int:task_id>/archive/", tasks.task_archive, name="crm_task_archive"),
    path("notifications/", tasks.notifications, name="crm_notifications"),
    path("notifications/read/", tasks.notifications_read, name="crm_notifications_read"),
    path(
        "notifications/<int:notification_id>/open/",
        tasks.notification_open,
        name="crm_notification_open",
    ),
    path("settings/reminders/", tasks.reminder_settings, name="crm_reminders"),
    path(
        "settings/reminders/<int:rule_id>/remove/",
        tasks.reminder_archive,
        name="crm_reminder_archive",
    ),
    path("settings/crm/", tasks.crm_settings_page, name="crm_settings"),
    path("settings/members/<int:member_id>/hand-over/", people.hand_over, name="crm_hand_over"),
]
