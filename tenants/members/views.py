"""Workspace pages: members, invitations, workspace settings, language."""

from collections.abc import Callable
from typing import cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tenants.actions import update_workspace_settings
from tenants.guards import allowed_when_read_only
from tenants.members import actions
from tenants.members import language as language_rule
from tenants.members.forms import (
    AcceptInvitationForm,
    ChangeRoleForm,
    InviteMemberForm,
    MemberTimeZoneForm,
    WorkspaceSettingsForm,
)
from tenants.members.models import Invitation, Role, User
from tenants.members.permissions import member_controls, workspace_admin_required
from tenants.members.selectors import members_for_list, open_invitations, recent_audit_entries
from tenants.models import Workspace
from tenants.regional import canonical_zone, zone_label

LOGIN_BACKEND = "allauth.account.auth_backends.AuthenticationBackend"


def _workspace(request: HttpRequest) -> Workspace:
    """The workspace of the request's host (set by WorkspaceMiddleware)."""
    return cast(Workspace, request.tenant)  # type: ignore[attr-defined]


def _member(request: HttpRequest) -> User:
    """The logged-in member (views using this are behind login_required)."""
    return cast(User, request.user)


def _error_text(error: ValidationError | PermissionDenied) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error) or _("You are not allowed to do this.")


@workspace_admin_required
def member_list(request: HttpRequest) -> HttpResponse:
    acting_user = _member(request)
    invite_form = InviteMemberForm(request.POST or None, acting_user=acting_user)
    if request.method == "POST" and invite_form.is_valid():
        try:
            invitation = actions.invite_member(
                acting_user=_member(request),
                email=invite_form.cleaned_data["email"],
                role=invite_form.cleaned_data["role"],
            )
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for field, field_errors in error.error_dict.items():
                    invite_form.add_error(
                        field if field in invite_form.fields else None, field_errors
                    )
            else:
                invite_form.add_error(None, error)
        except PermissionDenied as error:
            invite_form.add_error(None, _error_text(error))
        else:
            messages.success(
                request, _("Invitation sent to %(email)s.") % {"email": invitation.email}
            )
            return redirect("members")
    members = list(members_for_list())
    return render(
        request,
        "members/member_list.html",
        {
            "members": members,
            "member_rows": member_controls(
                acting_user,
                members,
                active_owners=sum(1 for m in members if m.role == Role.OWNER and m.is_active),
            ),
            "invitations": open_invitations(),
            "invite_form": invite_form,
        },
    )


def _member_action(
    request: HttpRequest, member_id: int, run: Callable[[User], None]
) -> HttpResponse:
    member = get_object_or_404(User, pk=member_id)
    try:
        run(member)
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, _error_text(error))
    acting_user = _member(request)
    acting_user.refresh_from_db(fields=["role"])
    # An admin who just made themselves a plain member may no longer see the members page.
    return redirect("members" if acting_user.is_workspace_admin else "home")


@require_POST
@workspace_admin_required
def change_role(request: HttpRequest, member_id: int) -> HttpResponse:
    form = ChangeRoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Unknown role."))
        return redirect("members")

    def run(member: User) -> None:
        actions.change_member_role(
            acting_user=_member(request), member=member, role=form.cleaned_data["role"]
        )
        role_label = Role(form.cleaned_data["role"]).label
        messages.success(
            request,
            _("%(name)s is now %(role)s.") % {"name": member.display_name, "role": role_label},
        )

    return _member_action(request, member_id, run)


# Allowed in a read-only workspace: fewer members means fewer seats to subscribe for.
@allowed_when_read_only
@require_POST
@workspace_admin_required
def deactivate(request: HttpRequest, member_id: int) -> HttpResponse:
    def run(member: User) -> None:
        actions.deactivate_member(acting_user=_member(request), member=member)
        messages.success(
            request,
            _(
                "%(name)s is deactivated and logged out everywhere. "
                "Nothing they created was deleted."
            )
            % {"name": member.display_name},
            # The toast offers to hand their clients over to another member.
            extra_tags=f"handover:{reverse('crm_hand_over', args=[member.pk])}",
        )

    return _member_action(request, member_id, run)


@require_POST
@workspace_admin_required
def reactivate(request: HttpRequest, member_id: int) -> HttpResponse:
    def run(member: User) -> None:
        actions.reactivate_member(acting_user=_member(request), member=member)
        messages.success(request, _("%(name)s can log in again.") % {"name": member.display_name})

    return _member_action(request, member_id, run)


@require_POST
@workspace_admin_required
def revoke_invitation(request: HttpRequest, invitation_id: int) -> HttpResponse:
    invitation = get_object_or_404(Invitation, pk=invitation_id)
    try:
        actions.revoke_invitation(acting_user=_member(request), invitation=invitation)
    except PermissionDenied as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(
            request, _("The invitation for %(email)s was revoked.") % {"email": invitation.email}
        )
    return redirect("members")


def accept_invitation(request: HttpRequest, token: str) -> HttpResponse:
    """The link from the invitation e-mail: choose a name and password, and you are in."""
    invitation = actions.open_invitation_for_token(token)
    if invitation is None:
        return render(request, "members/invitation_invalid.html", status=404)
    if request.user.is_authenticated:
        return render(request, "members/invitation_logged_in.html", {"invitation": invitation})
    form = AcceptInvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            member = actions.accept_invitation(
                token=token,
                full_name=form.cleaned_data["full_name"],
                password=form.cleaned_data["password1"],
                # Only a language the invitee picked with the switch, not the page's default.
                language=request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, ""),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            login(request, member, backend=LOGIN_BACKEND)
            messages.success(
                request,
                _("Welcome! You have joined %(workspace)s.")
                % {"workspace": _workspace(request).name},
            )
            return redirect("home")
    return render(
        request, "members/invitation_accept.html", {"invitation": invitation, "form": form}
    )


@workspace_admin_required
def workspace_settings(request: HttpRequest) -> HttpResponse:
    workspace = _workspace(request)
    initial = {
        "name": workspace.name,
        "default_country": str(workspace.default_country),
        "time_zone": canonical_zone(workspace.time_zone) or workspace.time_zone,
        "default_language": workspace.default_language,
    }
    form = WorkspaceSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            changes = update_workspace_settings(
                acting_user=_member(request),
                workspace=workspace,
                values=form.cleaned_data,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if changes:
                messages.success(request, _("Settings saved."))
            else:
                messages.info(request, _("Nothing changed."))
            return redirect("workspace_settings")
    return render(
        request,
        "members/workspace_settings.html",
        {"form": form, "audit_entries": recent_audit_entries()},
    )


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch the interface language: the choice wins now and is remembered for the person.

    A member's saved preference changes at once; a visitor's choice (on the login page)
    becomes their preference when they log in (tenants.members.language).
    """
    language = request.POST.get("language", "")
    next_url = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(
        next_url, {request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "/"
    response = HttpResponseRedirect(next_url)
    if language not in language_rule.supported_languages():
        return response
    if request.user.is_authenticated:
        actions.set_member_language(acting_user=_member(request), language=language)
    else:
        language_rule.note_language_choice(request, language)
    language_rule.set_language_cookie(response, language)
    return response


@login_required
def account_security(request: HttpRequest) -> HttpResponse:
    """The member's own page: e-mail, password, two-factor authentication, language."""
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator

    return render(
        request,
        "members/account_security.html",
        {
            "email_verified": EmailAddress.objects.filter(
                user=request.user, verified=True
            ).exists(),
            "mfa_enabled": Authenticator.objects.filter(
                user=request.user, type=Authenticator.Type.TOTP
            ).exists(),
            "time_zone_form": _time_zone_form(request),
        },
    )


def _time_zone_form(request: HttpRequest, data: object = None) -> MemberTimeZoneForm:
    workspace_zone = request.tenant.time_zone  # type: ignore[attr-defined]
    return MemberTimeZoneForm(
        data,
        initial={"time_zone": _member(request).time_zone},
        workspace_zone_label=zone_label(workspace_zone),
    )


@login_required
@require_POST
def set_time_zone(request: HttpRequest) -> HttpResponse:
    """The member's own time zone (a personal preference, like the language)."""
    form = _time_zone_form(request, request.POST)
    if form.is_valid():
        try:
            actions.set_member_time_zone(
                acting_user=_member(request), time_zone=form.cleaned_data["time_zone"] or ""
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Your time zone is saved."))
    else:
        messages.error(request, _("Please choose a time zone from the list."))
    return redirect("account_security")
