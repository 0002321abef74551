"""Writes about members: owners, invitations, roles, deactivation, preferences.

Everything here runs inside a workspace schema (a request on the workspace host, or
`schema_context`). Each action writes its audit entry in the same transaction and
keeps the public member directory (tenants.models.MemberDirectoryEntry) current.
"""

import hashlib
import secrets
from datetime import timedelta
from enum import StrEnum

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from tenants.db import current_schema_name
from tenants.guards import ensure_workspace_writable
from tenants.members.models import AuditEntry, Invitation, Role, User
from tenants.models import MemberDirectoryEntry, Workspace
from tenants.policy import workspace_policy

INVITATION_LIFETIME = timedelta(days=7)


class MemberErrorCode(StrEnum):
    ALREADY_MEMBER = "already_member"
    DEACTIVATED_MEMBER = "deactivated_member"
    EMAIL_TAKEN = "email_taken"
    INVITATION_INVALID = "invitation_invalid"
    LAST_OWNER = "last_owner"
    NO_SEAT = "no_seat"
    NOT_ALLOWED = "not_allowed"
    SELF_DEACTIVATION = "self_deactivation"
    TOO_MANY_INVITATIONS = "too_many_invitations"
    UNKNOWN_ROLE = "unknown_role"
    UNKNOWN_LANGUAGE = "unknown_language"
    UNKNOWN_TIME_ZONE = "unknown_time_zone"


def current_workspace() -> Workspace:
    """The workspace whose schema the connection is in."""
    return Workspace.objects.get(schema_name=current_schema_name())


def require_workspace_admin(acting_user: User) -> None:
    """Owners and admins only; raises PermissionDenied for anyone else."""
    if not (acting_user.is_active and acting_user.is_workspace_admin):
        raise PermissionDenied(_("Only owners and admins can do this."))


def _supported_languages() -> set[str]:
    return {code for code, _name in settings.LANGUAGES}


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _normalized_email(email: str) -> str:
    return email.strip()


def _validate_email(email: str) -> None:
    from django.core.validators import validate_email

    try:
        validate_email(email)
    except ValidationError as error:
        raise ValidationError({"email": _("Please enter a valid e-mail address.")}) from error


def _sync_directory(user: User) -> None:
    """Mirror the member into the public directory (same transaction).

    The directory holds the member's current (primary) address and whether it is confirmed.
    """
    verified = EmailAddress.objects.filter(
        user=user, email__iexact=user.email, verified=True
    ).exists()
    MemberDirectoryEntry.objects.update_or_create(
        workspace=current_workspace(),
        user_id=user.pk,
        defaults={
            "email": user.email,
            "role": user.role,
            "is_active": user.is_active,
            "email_verified": verified,
        },
    )


@transaction.atomic
def sync_member_directory(*, member: User) -> None:
    """Bring the public directory's row of `member` up to date with their addresses.

    Called when allauth changes a member's e-mail addresses on the account pages (added,
    confirmed, made primary, removed: see tenants.members.apps); runs inside the
    member's workspace. Does nothing for platform operators (public schema).
    """
    if current_schema_name() == settings.PUBLIC_SCHEMA_NAME:
        return
    member = User.objects.get(pk=member.pk)
    _sync_directory(member)


def _email_in_use(email: str) -> User | None:
    return User.objects.filter(email__iexact=email).first()


def _ensure_seat_for_one_more() -> None:
    """Refuse one more active member beyond the seats the workspace pays for.

    A seat is an active member; the policy (billing) says how many are paid, and what
    the admin should read (how to add a seat, what it costs now).
    """
    workspace = current_workspace()
    seats_paid = workspace_policy().seats_paid(workspace)
    if seats_paid is not None and User.objects.filter(is_active=True).count() >= seats_paid:
        raise ValidationError(
            workspace_policy().seats_exhausted_message(workspace, seats_paid),
            code=MemberErrorCode.NO_SEAT,
        )


def _active_owner_count() -> int:
    return User.objects.filter(role=Role.OWNER, is_active=True).count()


def _create_member(
    *,
    email: str,
    password: str | None,
    full_name: str,
    role: str,
    language: str,
    email_verified: bool,
) -> User:
    user = User(email=email, full_name=full_name.strip(), role=role, language=language)
    if password is None:
        user.set_unusable_password()
    else:
        validate_password(password, user)
        user.set_password(password)
    user.save()
    EmailAddress.objects.create(user=user, email=email, primary=True, verified=email_verified)
    _sync_directory(user)
    return user


@transaction.atomic
def create_first_owner(
    *,
    workspace: Workspace,
    email: str,
    password: str | None,
    full_name: str = "",
    language: str = "",
) -> User:
    """Create the owner of a brand-new workspace (called by provisioning, inside it).

    The e-mail starts unverified; the welcome page sends the verification e-mail.
    """
    email = _normalized_email(email)
    _validate_email(email)
    owner = _create_member(
        email=email,
        password=password,
        full_name=full_name,
        role=Role.OWNER,
        language=language,
        email_verified=False,
    )
    AuditEntry.objects.create(
        actor=owner, action=AuditEntry.Action.WORKSPACE_CREATED, target=workspace.name
    )
    return owner


def _may_invite(inviter: User, role: str) -> bool:
    """Whether `inviter` may, today, invite someone with `role` (owners only invite owners)."""
    if not (inviter.is_active and inviter.is_workspace_admin):
        return False
    return role != Role.OWNER or inviter.role == Role.OWNER


class InvitationRevokedBecause(StrEnum):
    """Why an invitation was revoked without anyone pressing "Revoke" (in the audit log)."""

    INVITER_DEACTIVATED = "inviter_deactivated"
    INVITER_ROLE_CHANGED = "inviter_role_changed"


def _revoke_invitations_the_inviter_may_no_longer_send(
    *, acting_user: User, inviter: User, reason: InvitationRevokedBecause
) -> int:
    """Revoke `inviter`'s open invitations for roles they may no longer invite; returns how many.

    An invitation carries its sender's authority: once an admin is deactivated or demoted,
    their links must not keep making admins. Each revocation is in the audit log.
    """
    doomed = [
        invitation
        for invitation in Invitation.objects.select_for_update().filter(
            invited_by=inviter, accepted_at__isnull=True, revoked_at__isnull=True
        )
        if not _may_invite(inviter, invitation.role)
    ]
    now = timezone.now()
    for invitation in doomed:
        invitation.revoked_at = now
        invitation.save(update_fields=["revoked_at"])
        AuditEntry.objects.create(
            actor=acting_user,
            action=AuditEntry.Action.INVITATION_REVOKED,
            target=invitation.email,
            changes={"reason": ["", str(reason)], "invited_by": [inviter.email, ""]},
        )
    return len(doomed)


# How much of a name people chose themselves an e-mail from the platform's address shows.
EMAIL_NAME_MAX_LENGTH = 60


def quoted_for_email(text: str, max_length: int = EMAIL_NAME_MAX_LENGTH) -> str:
    """User-chosen text (a workspace or member name) made safe to quote in a platform e-mail.

    One line (no made-up paragraphs), at most `max_length` characters; templates put it in
    quotation marks and never in a subject, so it cannot pose as the platform's own words.
    """
    one_line = " ".join(str(text).split())
    if len(one_line) > max_length:
        one_line = one_line[: max_length - 1].rstrip() + "…"
    return one_line


def _send_invitation_email(invitation: Invitation, token: str, inviter: User) -> None:
    from tenants.selectors import workspace_host, workspace_url

    workspace = current_workspace()
    context = {
        "workspace_name": quoted_for_email(workspace.name),
        "workspace_host": workspace_host(workspace.subdomain),
        "inviter_name": quoted_for_email(inviter.display_name),
        "invitation": invitation,
        "accept_url": workspace_url(workspace, reverse("invitation_accept", args=[token])),
        "role": invitation.get_role_display(),
    }
    with translation.override(workspace.default_language):
        subject = render_to_string("members/email/invitation_subject.txt", context).strip()
        body = render_to_string("members/email/invitation_body.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [invitation.email])


def _check_invitation_allowance() -> None:
    """Refuse one more invitation e-mail once the workspace's hourly allowance is used.

    Invitations go out from the platform's address: without a limit a new workspace
    would be a free mail relay. The allowance comes from the workspace policy (billing
    raises it for paying workspaces); every invitation row of the last hour counts,
    replaced and revoked ones too, since each sent an e-mail.
    """
    workspace = current_workspace()
    limit = workspace_policy().invitations_per_hour(workspace)
    sent = Invitation.objects.filter(created_at__gte=timezone.now() - timedelta(hours=1)).count()
    if sent >= limit:
        raise ValidationError(
            _(
                "This workspace has sent %(limit)d invitations in the last hour. "
                "Please try again later."
            )
            % {"limit": limit},
            code=MemberErrorCode.TOO_MANY_INVITATIONS,
        )


@transaction.atomic
def invite_member(*, acting_user: User, email: str, role: str) -> Invitation:
    """Invite an e-mail address to join with `role`, and send the invitation e-mail.

    Inviting an address that already has an open invitation replaces it (a fresh
    link, the old one stops working). Only owners may invite owners.
    """
    require_workspace_admin(acting_user)
    ensure_workspace_writable()
    email = _normalized_email(email)
    _validate_email(email)
    if role not in Role.values:
        raise ValidationError({"role": _("Unknown role.")}, code=MemberErrorCode.UNKNOWN_ROLE)
    if role == Role.OWNER and acting_user.role != Role.OWNER:
        raise PermissionDenied(_("Only owners can invite owners."))
    existing = _email_in_use(email)
    if existing is not None:
        if existing.is_active:
            raise ValidationError(
                {"email": _("%(email)s is already a member of this workspace.") % {"email": email}},
                code=MemberErrorCode.ALREADY_MEMBER,
            )
        raise ValidationError(
            {
                "email": _("%(email)s is a deactivated member: reactivate them instead.")
                % {"email": email}
            },
            code=MemberErrorCode.DEACTIVATED_MEMBER,
        )
    _ensure_seat_for_one_more()
    _check_invitation_allowance()
    Invitation.objects.filter(
        email__iexact=email, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        email=email,
        role=role,
        token_hash=_token_hash(token),
        invited_by=acting_user,
        expires_at=timezone.now() + INVITATION_LIFETIME,
    )
    AuditEntry.objects.create(
        actor=acting_user,
        action=AuditEntry.Action.MEMBER_INVITED,
        target=email,
        changes={"role": [None, role]},
    )
    transaction.on_commit(lambda: _send_invitation_email(invitation, token, acting_user))
    return invitation


@transaction.atomic
def revoke_invitation(*, acting_user: User, invitation: Invitation) -> None:
    """Make an open invitation's link stop working."""
    require_workspace_admin(acting_user)
    if invitation.accepted_at is not None or invitation.revoked_at is not None:
        return
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    AuditEntry.objects.create(
        actor=acting_user, action=AuditEntry.Action.INVITATION_REVOKED, target=invitation.email
    )


def open_invitation_for_token(token: str) -> Invitation | None:
    """The open (not accepted, revoked or expired) invitation for a link's token."""
    invitation = (
        Invitation.objects.filter(token_hash=_token_hash(token))
        .select_related("invited_by")
        .first()
    )
    if invitation is None or not invitation.is_open:
        return None
    if not _may_invite(invitation.invited_by, invitation.role):
        return None
    return invitation


@transaction.atomic
def accept_invitation(*, token: str, full_name: str, password: str, language: str = "") -> User:
    """Turn an invitation into a member with the invited role; the e-mail counts as verified.

    `language` is the one the invitee chose before joining (the language switch), or ""
    so that the member follows the workspace's default language until they choose one.
    Raises ValidationError (code invitation_invalid) for unknown, used, revoked or
    expired links, which all look the same to the visitor.
    """
    invitation = (
        Invitation.objects.select_for_update().filter(token_hash=_token_hash(token)).first()
    )
    # The sender must still be allowed to invite this role (revocation on deactivation and
    # demotion covers the usual case; this covers any other way their rights were lost).
    if (
        invitation is None
        or not invitation.is_open
        or not _may_invite(invitation.invited_by, invitation.role)
    ):
        raise ValidationError(
            _("This invitation link is not valid any more. Ask your admin for a new one."),
            code=MemberErrorCode.INVITATION_INVALID,
        )
    if _email_in_use(invitation.email) is not None:
        raise ValidationError(
            _("%(email)s is already a member of this workspace. Please log in.")
            % {"email": invitation.email},
            code=MemberErrorCode.EMAIL_TAKEN,
        )
    ensure_workspace_writable()
    _ensure_seat_for_one_more()
    member = _create_member(
        email=invitation.email,
        password=password,
        full_name=full_name,
        role=invitation.role,
        language=language if language in _supported_languages() else "",
        email_verified=True,
    )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = member
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    AuditEntry.objects.create(
        actor=member,
        action=AuditEntry.Action.MEMBER_JOINED,
        target=member.email,
        changes={"role": [None, member.role]},
    )
    return member


def _guard_owner_change(acting_user: User, member: User) -> None:
    if member.role == Role.OWNER and acting_user.role != Role.OWNER:
        raise PermissionDenied(_("Only owners can change another owner."))


def _guard_last_owner(member: User) -> None:
    if member.role == Role.OWNER and member.is_active and _active_owner_count() <= 1:
        raise ValidationError(
            _("%(name)s is the last owner. Make someone else an owner first.")
            % {"name": member.display_name},
            code=MemberErrorCode.LAST_OWNER,
        )


@transaction.atomic
def change_member_role(*, acting_user: User, member: User, role: str) -> User:
    """Give a member another role. The last active owner cannot be demoted."""
    require_workspace_admin(acting_user)
    if role not in Role.values:
        raise ValidationError(_("Unknown role."), code=MemberErrorCode.UNKNOWN_ROLE)
    member = User.objects.select_for_update().get(pk=member.pk)
    # Lock every owner row so two demotions at once cannot both pass the last-owner check.
    list(User.objects.select_for_update().filter(role=Role.OWNER))
    if member.role == role:
        return member
    _guard_owner_change(acting_user, member)
    if role == Role.OWNER and acting_user.role != Role.OWNER:
        raise PermissionDenied(_("Only owners can make someone an owner."))
    _guard_last_owner(member)
    old_role = member.role
    member.role = role
    member.save(update_fields=["role"])
    _sync_directory(member)
    AuditEntry.objects.create(
        actor=acting_user,
        action=AuditEntry.Action.ROLE_CHANGED,
        target=member.email,
        changes={"role": [old_role, role]},
    )
    _revoke_invitations_the_inviter_may_no_longer_send(
        acting_user=acting_user,
        inviter=member,
        reason=InvitationRevokedBecause.INVITER_ROLE_CHANGED,
    )
    return member


def _end_sessions_of(member: User) -> int:
    """Delete every session of `member` in this workspace; returns how many."""
    doomed = [
        session.session_key
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if str(session.get_decoded().get("_auth_user_id")) == str(member.pk)
    ]
    Session.objects.filter(session_key__in=doomed).delete()
    return len(doomed)


@transaction.atomic
def deactivate_member(*, acting_user: User, member: User) -> User:
    """Stop a member from logging in and end all their sessions now; delete nothing.

    Everything they created keeps them as its author; reactivation restores access.
    """
    require_workspace_admin(acting_user)
    member = User.objects.select_for_update().get(pk=member.pk)
    list(User.objects.select_for_update().filter(role=Role.OWNER))
    if not member.is_active:
        return member
    if member.pk == acting_user.pk:
        raise ValidationError(
            _("You cannot deactivate yourself."), code=MemberErrorCode.SELF_DEACTIVATION
        )
    _guard_owner_change(acting_user, member)
    _guard_last_owner(member)
    member.is_active = False
    member.deactivated_at = timezone.now()
    member.save(update_fields=["is_active", "deactivated_at"])
    _end_sessions_of(member)
    _sync_directory(member)
    AuditEntry.objects.create(
        actor=acting_user, action=AuditEntry.Action.MEMBER_DEACTIVATED, target=member.email
    )
    _revoke_invitations_the_inviter_may_no_longer_send(
        acting_user=acting_user,
        inviter=member,
        reason=InvitationRevokedBecause.INVITER_DEACTIVATED,
    )
    return member


@transaction.atomic
def reactivate_member(*, acting_user: User, member: User) -> User:
    """Let a deactivated member log in again, with the role they had."""
    require_workspace_admin(acting_user)
    member = User.objects.select_for_update().get(pk=member.pk)
    if member.is_active:
        return member
    _guard_owner_change(acting_user, member)
    ensure_workspace_writable()
    _ensure_seat_for_one_more()
    member.is_active = True
    member.deactivated_at = None
    member.save(update_fields=["is_active", "deactivated_at"])
    _sync_directory(member)
    AuditEntry.objects.create(
        actor=acting_user, action=AuditEntry.Action.MEMBER_REACTIVATED, target=member.email
    )
    return member


@transaction.atomic
def set_member_language(*, acting_user: User, language: str) -> User:
    """Remember the interface language a member chose for themselves."""
    if language not in {code for code, _name in settings.LANGUAGES}:
        raise ValidationError(_("Unknown language."), code=MemberErrorCode.UNKNOWN_LANGUAGE)
    acting_user.language = language
    acting_user.save(update_fields=["language"])
    return acting_user


def set_member_time_zone(*, acting_user: User, time_zone: str) -> User:
    """The zone a member sees times in; "" goes back to the workspace's."""
    from tenants.regional import canonical_zone

    zone = ""
    if time_zone.strip():
        canonical = canonical_zone(time_zone)
        if canonical is None:
            raise ValidationError(
                _("Please choose a time zone from the list."),
                code=MemberErrorCode.UNKNOWN_TIME_ZONE,
            )
        zone = canonical
    acting_user.time_zone = zone
    acting_user.save(update_fields=["time_zone"])
    return acting_user


@transaction.atomic
def clear_expired_sessions() -> int:
    """Delete this workspace's expired sessions (housekeeping; nobody can use them)."""
    deleted, _by_model = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted
