"""Every named route of a workspace, with how to check it cannot be used across workspaces.

tests/test_isolation_routes.py sends each route, on workspace B's host, a browser that
carries workspace A's session cookie and A's ids, tokens and keys; the route must treat
it as an anonymous visitor. tests/test_isolation_coverage.py fails when a route of
saas_platform.urls_tenant has no entry here (or an entry names a route that is gone), so a
new workspace page cannot ship without its isolation check: add one below.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum


@dataclass(frozen=True)
class CrossWorkspaceSample:
    """Real ids, tokens and keys of workspace A, to be tried on workspace B."""

    member_id: int  # a member of A; B has no member with this id
    invitation_id: int  # an open invitation of A; B has no invitation with this id
    invitation_token: str  # from A's invitation e-mail
    reset_uidb36: str  # from the password-reset e-mail A sent to A's owner
    reset_key: str
    email_confirmation_key: str  # from the confirm-your-address e-mail A sent its owner
    login_handoff_token: str  # the public site's one-time login into A
    api_key: str  # a read-and-write API key of A (sent as a Bearer header on every check)
    api_key_id: int  # its row in A
    contact_id: int  # a contact of A (B may have a contact with the same id: ids are per schema)
    company_id: int  # a company of A, linked to the contact
    tag_id: int  # a tag of A
    source_id: int  # a source channel of A
    custom_field_id: int  # a custom field of A's contacts


class Outcome(StrEnum):
    """What B answers a visitor who carries only A's credentials."""

    LOGIN_PAGE = "redirect to B's login page"
    NOT_FOUND = "404"
    VISITOR_PAGE = "a page for anonymous visitors"
    VISITOR_REDIRECT = "a redirect that does not need a login"
    API_UNAUTHORIZED = "the API's JSON 401: A's key is unknown on B"


def _no_args(sample: CrossWorkspaceSample) -> dict[str, object]:
    return {}


def _member(sample: CrossWorkspaceSample) -> dict[str, object]:
    return {"member_id": sample.member_id}


def _api_key(sample: CrossWorkspaceSample) -> dict[str, object]:
    return {"key_id": sample.api_key_id}


def _api_contact(sample: CrossWorkspaceSample) -> dict[str, object]:
    return {"contact_id": sample.contact_id}


def _api_company(sample: CrossWorkspaceSample) -> dict[str, object]:
    return {"company_id": sample.company_id}


def _api_link(sample: CrossWorkspaceSample) -> dict[str, object]:
    return {"contact_id": sample.contact_id, "company_id": sample.company_id}


def _api_tag(sample: CrossWorkspaceSample) -> dict[str, object]:
    return {"tag_id": sample.tag_id}


def _api_source(sample: CrossWorkspaceSample) -> dict[str, object]:
    return {"source_id": sample.source_id}


def _api_custom_field(sample: CrossWorkspaceSample) -> dict[str, object]:
    return {"field_id": sample.custom_field_id}


def _api_task(sample: CrossWorkspaceSample) -> dict[str, object]:
    # Any id of A: B refuses A's key before it looks a task up.
    return {"task_id": sample.member_id}


def _contact(sample: CrossWorkspaceSample) -> dict[str, object]:
    # Any id of A: B sends A's session to its login page before it looks a record up.
    return {"contact_id": sample.member_id}


def _company(sample: CrossWorkspaceSample) -> dict[str, object]:
    return {"company_id": sample.member_id}


def _contact_and_company(sample: CrossWorkspaceSample) -> dict[str, object]:
    return {"contact_id": sample.member_id, "company_id": sample.member_id}


def _timeline_of_contact(sample: CrossWorkspaceSample) -> dict[str, object]:
    return {"record_type": "contact", "record_id": sample.contact_id}


def _activity(sample: CrossWorkspaceSample) -> dict[str, object]:
    # An id of A's numbering (ids are per schema); B answers before it looks one up.
    return {"activity_id": sample.contact_id}


def _contacts(sample: CrossWorkspaceSample) -> dict[str, object]:
    return {"record_type": "contact"}


def _deal(sample: CrossWorkspaceSample) -> dict[str, object]:
    # Deal ids are per schema; B answers a stranger before looking anything up.
    return {"deal_id": 1}


def _import_job(sample: CrossWorkspaceSample) -> dict[str, object]:
    # Any uuid: B sends A's session to its login page before it looks a job up.
    return {"job_uuid": "0b4c8d8e-3f5a-4e41-9a57-6d1b8c2f7a10"}


def _api_import(sample: CrossWorkspaceSample) -> dict[str, object]:
    # Any uuid: B refuses A's key before it looks an import up.
    return {"import_id": "0b4c8d8e-3f5a-4e41-9a57-6d1b8c2f7a10"}


def _api_export(sample: CrossWorkspaceSample) -> dict[str, object]:
    return {"export_id": "0b4c8d8e-3f5a-4e41-9a57-6d1b8c2f7a10"}


@dataclass(frozen=True)
class IsolationCheck:
    method: str  # "get" or "post" (the API's routes also "patch", "put", "delete")
    outcome: Outcome
    url_kwargs: Callable[[CrossWorkspaceSample], dict[str, object]] = _no_args
    # Form data that would change something for a member of A (posted as is).
    data: dict[str, str] = field(default_factory=dict)
    # Form data made of A's tokens, merged into `data`.
    data_from_sample: Callable[[CrossWorkspaceSample], dict[str, str]] = _no_args  # type: ignore[assignment]
    # Request headers, in the test client's spelling (HTTP_ORIGIN).
    headers: dict[str, str] = field(default_factory=dict)

    def form_data(self, sample: CrossWorkspaceSample) -> dict[str, object]:
        return {**self.data, **self.data_from_sample(sample)}


NEW_PASSWORD = {"oldpassword": "", "password1": "b-new-secret-91", "password2": "b-new-secret-91"}

ISOLATION_CHECKS: dict[str, IsolationCheck] = {
    # Kartoteka's own pages.
    "home": IsolationCheck("get", Outcome.LOGIN_PAGE),
    # The public site's hand-off form, with A's unused token, from the public site's origin.
    "welcome": IsolationCheck(
        "post",
        Outcome.LOGIN_PAGE,
        data_from_sample=lambda s: {"token": s.login_handoff_token},
        headers={"HTTP_ORIGIN": "http://localhost:8000"},
    ),
    "invitation_accept": IsolationCheck(
        "post",
        Outcome.NOT_FOUND,
        lambda s: {"token": s.invitation_token},
        {"full_name": "Intruder", "password1": "b-new-secret-91", "password2": "b-new-secret-91"},
    ),
    "members": IsolationCheck(
        "post", Outcome.LOGIN_PAGE, data={"email": "intruder@example.com", "role": "owner"}
    ),
    "member_change_role": IsolationCheck("post", Outcome.LOGIN_PAGE, _member, {"role": "owner"}),
    "member_deactivate": IsolationCheck("post", Outcome.LOGIN_PAGE, _member),
    "member_reactivate": IsolationCheck("post", Outcome.LOGIN_PAGE, _member),
    "invitation_revoke": IsolationCheck(
        "post", Outcome.LOGIN_PAGE, lambda s: {"invitation_id": s.invitation_id}
    ),
    "workspace_settings": IsolationCheck("post", Outcome.LOGIN_PAGE, data={"name": "Hijacked"}),
    "backup_list": IsolationCheck("get", Outcome.LOGIN_PAGE),
    # A's download links are also bound to A's schema and member (tests/tenants/test_backups.py).
    "backup_download": IsolationCheck(
        "get", Outcome.LOGIN_PAGE, lambda s: {"token": "a-signed-link-of-workspace-a"}
    ),
    # Exports (owners and admins only). A's download links are also bound to A's schema
    # and member (tests/onboarding/exporting/test_exports.py).
    "exports": IsolationCheck("get", Outcome.LOGIN_PAGE),
    "exports_new": IsolationCheck("get", Outcome.LOGIN_PAGE),
    "exports_start": IsolationCheck(
        "post", Outcome.LOGIN_PAGE, data={"entity": "contacts", "file_format": "csv"}
    ),
    "export_download": IsolationCheck(
        "get", Outcome.LOGIN_PAGE, lambda s: {"token": "a-signed-link-of-workspace-a"}
    ),
    "backup_list_rows": IsolationCheck("get", Outcome.LOGIN_PAGE),
    # Ordering and scheduling backups (billing's views; admins of the workspace only).
    "backup_order": IsolationCheck(
        "post", Outcome.LOGIN_PAGE, data={"payment_method": "checkout", "attempt_key": "x"}
    ),
    "backup_order_return": IsolationCheck("get", Outcome.LOGIN_PAGE),
    "backup_schedule": IsolationCheck(
        "post",
        Outcome.LOGIN_PAGE,
        data={"enabled": "on", "frequency": "daily", "keep_last": "3", "request_key": "x"},
    ),
    # Billing (admins of the workspace only).
    "billing": IsolationCheck("get", Outcome.LOGIN_PAGE),
    "billing_subscribe": IsolationCheck(
        "post", Outcome.LOGIN_PAGE, data={"plan": "1", "period": "month", "seats": "3"}
    ),
    "billing_progress": IsolationCheck("get", Outcome.LOGIN_PAGE),
    "billing_progress_status": IsolationCheck("get", Outcome.LOGIN_PAGE),
    "billing_seats": IsolationCheck("post", Outcome.LOGIN_PAGE, data={"seats": "9"}),
    "billing_plan": IsolationCheck(
        "post", Outcome.LOGIN_PAGE, data={"plan": "1", "period": "year"}
    ),
    "billing_cancel": IsolationCheck("post", Outcome.LOGIN_PAGE),
    "billing_portal": IsolationCheck("post", Outcome.LOGIN_PAGE),
    "set_language": IsolationCheck("post", Outcome.VISITOR_REDIRECT, data={"language": "uk"}),
    "account_security": IsolationCheck("get", Outcome.LOGIN_PAGE),
    "account_time_zone": IsolationCheck(
        "post", Outcome.LOGIN_PAGE, data={"time_zone": "Asia/Vladivostok"}
    ),
    "api_keys": IsolationCheck(
        "post", Outcome.LOGIN_PAGE, data={"name": "Intruder", "scope": "read_write"}
    ),
    "api_key_revoke": IsolationCheck("post", Outcome.LOGIN_PAGE, _api_key),
    # Custom fields and required fields (B has no field with A's id; the login comes first).
    "crm_fields_index": IsolationCheck("get", Outcome.LOGIN_PAGE),
    "crm_fields_list": IsolationCheck("get", Outcome.LOGIN_PAGE, lambda s: {"entity": "contact"}),
    "crm_fields_create": IsolationCheck(
        "post",
        Outcome.LOGIN_PAGE,
        lambda s: {"entity": "contact"},
        {"label_en": "Injected", "field_type": "text"},
    ),
    "crm_fields_edit": IsolationCheck(
        "post", Outcome.LOGIN_PAGE, lambda s: {"field_id": 1}, {"label_en": "Hijacked"}
    ),
    "crm_fields_change_type": IsolationCheck(
        "post", Outcome.LOGIN_PAGE, lambda s: {"field_id": 1}, {"field_type": "long_text"}
    ),
    "crm_fields_move": IsolationCheck(
        "post", Outcome.LOGIN_PAGE, lambda s: {"field_id": 1}, {"direction": "up"}
    ),
    "crm_fields_archive": IsolationCheck("post", Outcome.LOGIN_PAGE, lambda s: {"field_id": 1}),
    "crm_fields_restore": IsolationCheck("post", Outcome.LOGIN_PAGE, lambda s: {"field_id": 1}),
    "crm_fields_required": IsolationCheck(
        "post", Outcome.LOGIN_PAGE, lambda s: {"entity": "contact"}, {"standard_phones": "on"}
    ),
    # The client base's pages (crm.urls).
    "crm_search": IsolationCheck("get", Outcome.LOGIN_PAGE),
    "crm_contact_list": IsolationCheck("get", Outcome.LOGIN_PAGE),
    "crm_contact_create": IsolationCheck(
        "post", Outcome.LOGIN_PAGE, data={"surname": "Intruder", "phones-TOTAL_FORMS": "0"}
    ),
    "crm_contact_detail": IsolationCheck("get", Outcome.LOGIN_PAGE, _contact),
    "crm_contact_edit": IsolationCheck(
        "post", Outcome.LOGIN_PAGE, _contact, {"surname": "Hijacked"}
    ),
    "crm_contact_archive": IsolationCheck("post", Outcome.LOGIN_PAGE, _contact),
    "crm_contact_restore": IsolationCheck("post", Outcome.LOGIN_PAGE, _contact),
    "crm_contact_consent": IsolationCheck(
        "post", Outcome.LOGIN_PAGE, _contact, {"kind": "advertising", "status": "given"}
    ),
    "crm_contact_link": IsolationCheck("post", Outcome.LOGIN_PAGE, _contact, {"company": "X"}),
    "crm_contact_unlink": IsolationCheck("post", Outcome.LOGIN_PAGE, _contact_and_company),
    "crm_company_list": IsolationCheck("get", Outcome.LOGIN_PAGE),
    "crm_company_create": IsolationCheck("post", Outcome.LOGIN_PAGE, data={"name": "Intruder"}),
    "crm_company_detail": IsolationCheck("get", Outcome.LOGIN_PAGE, _company),
    "crm_company_edit": IsolationCheck("post", Outcome.LOGIN_PAGE, _company, {"name": "Hijacked"}),
    "crm_company_archive": IsolationCheck("post", Outcome.LOGIN_PAGE, _company),
    "crm_company_restore": IsolationCheck("post", Outcome.LOGIN_PAGE, _company),
    "crm_bulk": IsolationCheck(
        "post", Outcome.LOGIN_PAGE, _contacts, {"action": "archive", "ids": "1"}
    ),
    "crm_columns_save": IsolationCheck("post", Outcome.LOGIN_PAGE, _contacts, {"columns": "name"}),
    "crm_segment_create": IsolationCheck("post", Outcome.LOGIN_PAGE, _contacts, {"name": "Mine"}),
    "crm_segment_delete": IsolationCheck(
        "post", Outcome.LOGIN_PAGE, lambda s: {"segment_id": s.member_id}
    ),
    "crm_merge": IsolationCheck(
        "post", Outcome.LOGIN_PAGE, _contacts, {"ids": "1", "confirm": "1"}
    ),
    "crm_merge_undo": IsolationCheck(
        "post", Outcome.LOGIN_PAGE, lambda s: {"merge_id": s.member_id}
    ),
    "crm_to_complete": IsolationCheck("get", Outcome.LOGIN_PAGE),
    "crm_hand_over": IsolationCheck("post", Outcome.LOGIN_PAGE, _member, {"to_member": "1"}),
    # Deals (crm.urls).
    "crm_deal_board": IsolationCheck("get", Outcome.LOGIN_PAGE),
    "crm_deal_list": IsolationCheck("get", Outcome.LOGIN_PAGE),
    "crm_deal_forecast": IsolationCheck("get", Outcome.LOGIN_PAGE),
    "crm_deal_create": IsolationCheck("post", Outcome.LOGIN_PAGE, data={"title": "Intruder"}),
    "crm_deal_detail": IsolationCheck("get", Outcome.LOGIN_PAGE, _deal),
    "crm_deal_edit": IsolationCheck("post", Outcome.LOGIN_PAGE, _deal, {"title": "Hijacked"}),
    "crm_deal_move": IsolationCheck("post", Outcome.LOGIN_PAGE, _deal, {"stage": "1"}),
    "crm_deal_win": IsolationCheck("post", Outcome.LOGIN_PAGE, _deal),
    "crm_deal_lose": IsolationCheck("post", Outcome.LOGIN_PAGE, _deal, {"loss_reason": "1"}),
    "crm_deal_reopen": IsolationCheck("post", Outcome.LOGIN_PAGE, _deal),
    "crm_deal_archive": IsolationCheck("post", Outcome.LOGIN_PAGE, _deal),
    "crm_deal_restore": IsolationCheck("post", Outcome.LOGIN_PAGE, _deal),
    "crm_pipeline_settings": IsolationCheck("get", Outcome.LOGIN_PAGE),
    "crm_pipeline_create": IsolationCheck("post", Outcome.LOGIN_PAGE, data={"name": "Intruder"}),
    "crm_pipeline_update": IsolationCheck(
        "post", Outcome.LOGIN_PAGE, lambda s: {"pipeline_id": 1}, {"action": "archive"}
    ),
    "crm_stage_create": IsolationCheck(
        "post", Outcome.LOGIN_PAGE, lambda s: {"pipeline_id": 1}, {"name": "X", "probability": "5"}
    ),
    "crm_stage_update": IsolationCheck(
        "post", Outcome.LOGIN_PAGE, lambda s: {"stage_id": 1}, {"action": "archive"}
    ),
    "crm_loss_reason_create": IsolationCheck("post", Outcome.LOGIN_PAGE, data={"name": "X"}),
    "crm_loss_reason_update": IsolationCheck(
        "post", Outcome.LOGIN_PAGE, lambda s: {"reason_id": 1}, {"action": "archive"}
    ),
    # The timeline on a card (any ids of A: B sends A's session to its login page first).
    "crm_timeline": IsolationCheck("get", Outcome.LOGIN_PAGE, _timeline_of_contact),
    "crm_activity_log": IsolationCheck(
        "post", Outcome.LOGIN_PAGE, _timeline_of_contact, {"kind": "note", "text": "Hijacked"}
    ),
    "crm_activity_edit": IsolationCheck(
        "post", Outcome.LOGIN_PAGE, _activity, {"text": "Hijacked"}
    ),
    "crm_activity_versions": IsolationCheck("get", Outcome.LOGIN_PAGE, _activity),
    "crm_activity_archive": IsolationCheck("post", Outcome.LOGIN_PAGE, _activity),
    "crm_activity_restore": IsolationCheck("post", Outcome.LOGIN_PAGE, _activity),
    "crm_activity_file": IsolationCheck("get", Outcome.LOGIN_PAGE, _activity),
    # Tasks, notifications, reminders (any id of A: B answers before looking it up).
    "crm_my_tasks": IsolationCheck("get", Outcome.LOGIN_PAGE),
    "crm_team_tasks": IsolationCheck("get", Outcome.LOGIN_PAGE),
    "crm_task_create": IsolationCheck(
        "post", Outcome.LOGIN_PAGE, data={"title": "Intruder", "due_date": "2026-12-01"}
    ),
    "crm_task_quick_add": IsolationCheck(
        "post", Outcome.LOGIN_PAGE, data={"title": "Intruder", "due_date": "2026-12-01"}
    ),
    "crm_task_client_options": IsolationCheck("get", Outcome.LOGIN_PAGE),
    "crm_task_detail": IsolationCheck(
        "get", Outcome.LOGIN_PAGE, lambda s: {"task_id": s.member_id}
    ),
    "crm_task_edit": IsolationCheck(
        "post", Outcome.LOGIN_PAGE, lambda s: {"task_id": s.member_id}, {"title": "Hijacked"}
    ),
    "crm_task_complete": IsolationCheck(
        "post", Outcome.LOGIN_PAGE, lambda s: {"task_id": s.member_id}, {"result": "x"}
    ),
    "crm_task_skip": IsolationCheck("post", Outcome.LOGIN_PAGE, lambda s: {"task_id": s.member_id}),
    "crm_task_reopen": IsolationCheck(
        "post", Outcome.LOGIN_PAGE, lambda s: {"task_id": s.member_id}
    ),
    "crm_task_archive": IsolationCheck(
        "post", Outcome.LOGIN_PAGE, lambda s: {"task_id": s.member_id}
    ),
    "crm_notifications": IsolationCheck("get", Outcome.LOGIN_PAGE),
    "crm_notifications_read": IsolationCheck("post", Outcome.LOGIN_PAGE),
    "crm_notification_open": IsolationCheck(
        "post", Outcome.LOGIN_PAGE, lambda s: {"notification_id": s.member_id}
    ),
    "crm_reminders": IsolationCheck(
        "post", Outcome.LOGIN_PAGE, data={"name": "Intruder", "target": "contact:birthday"}
    ),
    "crm_reminder_archive": IsolationCheck(
        "post", Outcome.LOGIN_PAGE, lambda s: {"rule_id": s.member_id}
    ),
    "crm_settings": IsolationCheck(
        "post", Outcome.LOGIN_PAGE, data={"callback_within_minutes": "1"}
    ),
    # The home page's checklist: hide it / show it again.
    "checklist_visibility": IsolationCheck("post", Outcome.LOGIN_PAGE, data={"checklist": "hide"}),
    # The import wizard (onboarding/importing): A's session means nothing on B, so every
    # page sends it to B's login first; a job uuid of A is a 404 for B's own admins
    # (tests/onboarding/importing/test_wizard_pages.py).
    "importing:start": IsolationCheck("post", Outcome.LOGIN_PAGE, data={"what": "contacts"}),
    "importing:history": IsolationCheck("get", Outcome.LOGIN_PAGE),
    "importing:job": IsolationCheck("get", Outcome.LOGIN_PAGE, _import_job),
    "importing:read_settings": IsolationCheck(
        "post", Outcome.LOGIN_PAGE, _import_job, {"header_row": "2", "next": "1"}
    ),
    "importing:mapping": IsolationCheck(
        "post", Outcome.LOGIN_PAGE, _import_job, {"column_0": "surname"}
    ),
    "importing:use_saved_mapping": IsolationCheck(
        "post", Outcome.LOGIN_PAGE, _import_job, {"saved": "1"}
    ),
    "importing:check": IsolationCheck("post", Outcome.LOGIN_PAGE, _import_job, {"recheck": "1"}),
    "importing:failing_rows": IsolationCheck("get", Outcome.LOGIN_PAGE, _import_job),
    "importing:duplicates": IsolationCheck(
        "post", Outcome.LOGIN_PAGE, _import_job, {"on_duplicate": "create", "responsible": "me"}
    ),
    "importing:run": IsolationCheck("get", Outcome.LOGIN_PAGE, _import_job),
    "importing:progress": IsolationCheck("get", Outcome.LOGIN_PAGE, _import_job),
    "importing:cancel": IsolationCheck("post", Outcome.LOGIN_PAGE, _import_job),
    "importing:undo": IsolationCheck("post", Outcome.LOGIN_PAGE, _import_job),
    # allauth: accounts.
    "account_login": IsolationCheck("get", Outcome.VISITOR_PAGE),
    "account_logout": IsolationCheck("post", Outcome.VISITOR_REDIRECT),
    "account_inactive": IsolationCheck("get", Outcome.VISITOR_PAGE),
    "account_signup": IsolationCheck("get", Outcome.VISITOR_PAGE),
    "account_reauthenticate": IsolationCheck("get", Outcome.LOGIN_PAGE),
    "account_email": IsolationCheck(
        "post", Outcome.LOGIN_PAGE, data={"email": "intruder@example.com", "action_add": ""}
    ),
    "account_email_verification_sent": IsolationCheck("get", Outcome.VISITOR_PAGE),
    "account_change_password": IsolationCheck("post", Outcome.LOGIN_PAGE, data=NEW_PASSWORD),
    "account_set_password": IsolationCheck("post", Outcome.LOGIN_PAGE, data=NEW_PASSWORD),
    "account_reset_password": IsolationCheck("get", Outcome.VISITOR_PAGE),
    "account_confirm_login_code": IsolationCheck("get", Outcome.VISITOR_REDIRECT),
    "account_confirm_email": IsolationCheck(
        "post", Outcome.NOT_FOUND, lambda s: {"key": s.email_confirmation_key}
    ),
    "account_reset_password_from_key_done": IsolationCheck("get", Outcome.VISITOR_PAGE),
    "account_reset_password_from_key": IsolationCheck(
        "post",
        Outcome.VISITOR_PAGE,
        lambda s: {"uidb36": s.reset_uidb36, "key": s.reset_key},
        NEW_PASSWORD,
    ),
    "account_reset_password_done": IsolationCheck("get", Outcome.VISITOR_PAGE),
    # allauth: two-factor authentication.
    "mfa_index": IsolationCheck("get", Outcome.LOGIN_PAGE),
    "mfa_authenticate": IsolationCheck("get", Outcome.VISITOR_REDIRECT),
    "mfa_reauthenticate": IsolationCheck("get", Outcome.LOGIN_PAGE),
    "mfa_activate_totp": IsolationCheck("get", Outcome.LOGIN_PAGE),
    "mfa_deactivate_totp": IsolationCheck("post", Outcome.LOGIN_PAGE),
    "mfa_view_recovery_codes": IsolationCheck("get", Outcome.LOGIN_PAGE),
    "mfa_generate_recovery_codes": IsolationCheck("post", Outcome.LOGIN_PAGE),
    "mfa_download_recovery_codes": IsolationCheck("get", Outcome.LOGIN_PAGE),
}
# The REST API (saas_platform.api): every endpoint, sent A's key as a Bearer header.
API_ISOLATION_CHECKS: dict[str, IsolationCheck] = {
    "api:api-root": IsolationCheck("get", Outcome.NOT_FOUND),
    "api:openapi-json": IsolationCheck("get", Outcome.VISITOR_PAGE),
    "api:openapi-view": IsolationCheck("get", Outcome.VISITOR_PAGE),
    "api:api_key_me": IsolationCheck("get", Outcome.API_UNAUTHORIZED),
    "api:api_contact_list": IsolationCheck("get", Outcome.API_UNAUTHORIZED),
    "api:api_contact_create": IsolationCheck(
        "post", Outcome.API_UNAUTHORIZED, data={"first_name": "Intruder"}
    ),
    "api:api_contact_detail": IsolationCheck("get", Outcome.API_UNAUTHORIZED, _api_contact),
    "api:api_contact_update": IsolationCheck(
        "patch", Outcome.API_UNAUTHORIZED, _api_contact, {"surname": "Hijacked"}
    ),
    "api:api_contact_archive": IsolationCheck("post", Outcome.API_UNAUTHORIZED, _api_contact),
    "api:api_contact_restore": IsolationCheck("post", Outcome.API_UNAUTHORIZED, _api_contact),
    "api:api_contact_link_company": IsolationCheck("put", Outcome.API_UNAUTHORIZED, _api_link),
    "api:api_contact_unlink_company": IsolationCheck("delete", Outcome.API_UNAUTHORIZED, _api_link),
    "api:api_contact_consents": IsolationCheck("get", Outcome.API_UNAUTHORIZED, _api_contact),
    "api:api_contact_record_consent": IsolationCheck(
        "post", Outcome.API_UNAUTHORIZED, _api_contact, {"kind": "advertising", "status": "given"}
    ),
    "api:api_company_list": IsolationCheck("get", Outcome.API_UNAUTHORIZED),
    "api:api_company_create": IsolationCheck(
        "post", Outcome.API_UNAUTHORIZED, data={"name": "Intruder"}
    ),
    "api:api_company_detail": IsolationCheck("get", Outcome.API_UNAUTHORIZED, _api_company),
    "api:api_company_update": IsolationCheck(
        "patch", Outcome.API_UNAUTHORIZED, _api_company, {"name": "Hijacked"}
    ),
    "api:api_company_archive": IsolationCheck("post", Outcome.API_UNAUTHORIZED, _api_company),
    "api:api_company_restore": IsolationCheck("post", Outcome.API_UNAUTHORIZED, _api_company),
    "api:api_tag_list": IsolationCheck("get", Outcome.API_UNAUTHORIZED),
    "api:api_tag_rename": IsolationCheck(
        "patch", Outcome.API_UNAUTHORIZED, _api_tag, {"name": "Hijacked"}
    ),
    "api:api_tag_delete": IsolationCheck("delete", Outcome.API_UNAUTHORIZED, _api_tag),
    "api:api_source_list": IsolationCheck("get", Outcome.API_UNAUTHORIZED),
    "api:api_source_create": IsolationCheck(
        "post", Outcome.API_UNAUTHORIZED, data={"name": "Intruder"}
    ),
    "api:api_source_rename": IsolationCheck(
        "patch", Outcome.API_UNAUTHORIZED, _api_source, {"name": "Hijacked"}
    ),
    "api:api_source_archive": IsolationCheck("post", Outcome.API_UNAUTHORIZED, _api_source),
    "api:api_custom_field_list": IsolationCheck("get", Outcome.API_UNAUTHORIZED),
    "api:api_custom_field_create": IsolationCheck(
        "post", Outcome.API_UNAUTHORIZED, data={"entity": "contact", "field_type": "text"}
    ),
    "api:api_custom_field_detail": IsolationCheck(
        "get", Outcome.API_UNAUTHORIZED, _api_custom_field
    ),
    "api:api_custom_field_update": IsolationCheck(
        "patch", Outcome.API_UNAUTHORIZED, _api_custom_field, {"required": "true"}
    ),
    "api:api_custom_field_archive": IsolationCheck(
        "post", Outcome.API_UNAUTHORIZED, _api_custom_field
    ),
    "api:api_custom_field_restore": IsolationCheck(
        "post", Outcome.API_UNAUTHORIZED, _api_custom_field
    ),
    "api:api_deal_list": IsolationCheck("get", Outcome.API_UNAUTHORIZED),
    "api:api_deal_create": IsolationCheck(
        "post", Outcome.API_UNAUTHORIZED, data={"title": "Intruder"}
    ),
    "api:api_deal_forecast": IsolationCheck("get", Outcome.API_UNAUTHORIZED),
    "api:api_deal_detail": IsolationCheck("get", Outcome.API_UNAUTHORIZED, _deal),
    "api:api_deal_update": IsolationCheck(
        "patch", Outcome.API_UNAUTHORIZED, _deal, {"title": "Hijacked"}
    ),
    "api:api_deal_move": IsolationCheck("post", Outcome.API_UNAUTHORIZED, _deal, {"stage_id": 1}),
    "api:api_deal_win": IsolationCheck("post", Outcome.API_UNAUTHORIZED, _deal),
    "api:api_deal_lose": IsolationCheck(
        "post", Outcome.API_UNAUTHORIZED, _deal, {"loss_reason_id": 1}
    ),
    "api:api_deal_reopen": IsolationCheck("post", Outcome.API_UNAUTHORIZED, _deal),
    "api:api_deal_archive": IsolationCheck("post", Outcome.API_UNAUTHORIZED, _deal),
    "api:api_deal_restore": IsolationCheck("post", Outcome.API_UNAUTHORIZED, _deal),
    "api:api_pipeline_list": IsolationCheck("get", Outcome.API_UNAUTHORIZED),
    "api:api_pipeline_create": IsolationCheck(
        "post", Outcome.API_UNAUTHORIZED, data={"name": "Intruder"}
    ),
    "api:api_pipeline_detail": IsolationCheck(
        "get", Outcome.API_UNAUTHORIZED, lambda s: {"pipeline_id": 1}
    ),
    "api:api_pipeline_update": IsolationCheck(
        "patch", Outcome.API_UNAUTHORIZED, lambda s: {"pipeline_id": 1}, {"name": "Hijacked"}
    ),
    "api:api_pipeline_archive": IsolationCheck(
        "post", Outcome.API_UNAUTHORIZED, lambda s: {"pipeline_id": 1}
    ),
    "api:api_stage_create": IsolationCheck(
        "post",
        Outcome.API_UNAUTHORIZED,
        lambda s: {"pipeline_id": 1},
        {"name": "X", "probability": 5},
    ),
    "api:api_stage_detail": IsolationCheck(
        "get", Outcome.API_UNAUTHORIZED, lambda s: {"stage_id": 1}
    ),
    "api:api_stage_update": IsolationCheck(
        "patch", Outcome.API_UNAUTHORIZED, lambda s: {"stage_id": 1}, {"name": "Hijacked"}
    ),
    "api:api_stage_archive": IsolationCheck(
        "post", Outcome.API_UNAUTHORIZED, lambda s: {"stage_id": 1}
    ),
    "api:api_loss_reason_list": IsolationCheck("get", Outcome.API_UNAUTHORIZED),
    "api:api_loss_reason_create": IsolationCheck(
        "post", Outcome.API_UNAUTHORIZED, data={"name": "Intruder"}
    ),
    "api:api_activity_list": IsolationCheck("get", Outcome.API_UNAUTHORIZED),
    "api:api_activity_create": IsolationCheck(
        "post",
        Outcome.API_UNAUTHORIZED,
        data={"kind": "note", "text": "Hijacked", "contact_id": "1"},
    ),
    "api:api_activity_upload": IsolationCheck("post", Outcome.API_UNAUTHORIZED),
    "api:api_activity_detail": IsolationCheck("get", Outcome.API_UNAUTHORIZED, _activity),
    "api:api_activity_update": IsolationCheck(
        "patch", Outcome.API_UNAUTHORIZED, _activity, {"text": "Hijacked"}
    ),
    "api:api_activity_archive": IsolationCheck("post", Outcome.API_UNAUTHORIZED, _activity),
    "api:api_activity_restore": IsolationCheck("post", Outcome.API_UNAUTHORIZED, _activity),
    "api:api_activity_file": IsolationCheck("get", Outcome.API_UNAUTHORIZED, _activity),
    "api:api_task_list": IsolationCheck("get", Outcome.API_UNAUTHORIZED),
    "api:api_task_create": IsolationCheck(
        "post", Outcome.API_UNAUTHORIZED, data={"title": "Intruder", "due_date": "2026-12-01"}
    ),
    "api:api_task_detail": IsolationCheck("get", Outcome.API_UNAUTHORIZED, _api_task),
    "api:api_task_update": IsolationCheck(
        "patch", Outcome.API_UNAUTHORIZED, _api_task, {"title": "Hijacked"}
    ),
    "api:api_task_complete": IsolationCheck("post", Outcome.API_UNAUTHORIZED, _api_task),
    "api:api_task_skip": IsolationCheck("post", Outcome.API_UNAUTHORIZED, _api_task),
    "api:api_task_reopen": IsolationCheck("post", Outcome.API_UNAUTHORIZED, _api_task),
    "api:api_task_archive": IsolationCheck("post", Outcome.API_UNAUTHORIZED, _api_task),
    "api:api_import_create": IsolationCheck(
        "post", Outcome.API_UNAUTHORIZED, data={"entity": "contacts"}
    ),
    "api:api_import_list": IsolationCheck("get", Outcome.API_UNAUTHORIZED),
    "api:api_import_fields": IsolationCheck("get", Outcome.API_UNAUTHORIZED),
    "api:api_import_detail": IsolationCheck("get", Outcome.API_UNAUTHORIZED, _api_import),
    "api:api_import_run": IsolationCheck("post", Outcome.API_UNAUTHORIZED, _api_import),
    "api:api_import_cancel": IsolationCheck("post", Outcome.API_UNAUTHORIZED, _api_import),
    "api:api_import_undo": IsolationCheck("post", Outcome.API_UNAUTHORIZED, _api_import),
    "api:api_import_failing_rows": IsolationCheck("get", Outcome.API_UNAUTHORIZED, _api_import),
    "api:api_export_create": IsolationCheck(
        "post", Outcome.API_UNAUTHORIZED, data={"entity": "contacts", "format": "csv"}
    ),
    "api:api_export_detail": IsolationCheck("get", Outcome.API_UNAUTHORIZED, _api_export),
    "api:api_export_file": IsolationCheck("get", Outcome.API_UNAUTHORIZED, _api_export),
}
ISOLATION_CHECKS.update(API_ISOLATION_CHECKS)
