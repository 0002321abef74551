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


class Outcome(StrEnum):
    """What B answers a visitor who carries only A's credentials."""

    LOGIN_PAGE = "redirect to B's login page"
    NOT_FOUND = "404"
    VISITOR_PAGE = "a page for anonymous visitors"
    VISITOR_REDIRECT = "a redirect that does not need a login"


def _no_args(sample: CrossWorkspaceSample) -> dict[str, object]:
    return {}


def _member(sample: CrossWorkspaceSample) -> dict[str, object]:
    return {"member_id": sample.member_id}


@dataclass(frozen=True)
class IsolationCheck:
    method: str  # "get" or "post"
    outcome: Outcome
    url_kwargs: Callable[[CrossWorkspaceSample], dict[str, object]] = _no_args
    # Form data that would change something for a member of A (posted as is).
    data: dict[str, str] = field(default_factory=dict)


NEW_PASSWORD = {"oldpassword": "", "password1": "b-new-secret-91", "password2": "b-new-secret-91"}

ISOLATION_CHECKS: dict[str, IsolationCheck] = {
    # Kartoteka's own pages.
    "home": IsolationCheck("get", Outcome.LOGIN_PAGE),
    "welcome": IsolationCheck(
        "get", Outcome.LOGIN_PAGE, lambda s: {"token": s.login_handoff_token}
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
