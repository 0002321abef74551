"""View guards for the workspace."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from tenants.members.models import Role, User


def workspace_admin_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Logged-in owners and admins only; members get 403, visitors the login page."""

    @login_required
    @wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_workspace_admin:  # type: ignore[union-attr]
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return guarded


# What the members page offers: the same rules the actions enforce (tenants.members.actions),
# so a control that would be refused is never shown.


def assignable_roles(acting_user: User) -> list[tuple[str, str]]:
    """Roles `acting_user` may give: owners any, admins admin or member."""
    return [
        (value, str(label))
        for value, label in Role.choices
        if acting_user.role == Role.OWNER or value != Role.OWNER
    ]


@dataclass(frozen=True)
class MemberControls:
    member: User
    role_choices: list[tuple[str, str]]  # empty: the role is shown, not offered for change
    can_deactivate: bool
    can_reactivate: bool
    why_locked: str  # why the role cannot be changed here, for the reader


def member_controls(
    acting_user: User, members: Iterable[User], *, active_owners: int
) -> list[MemberControls]:
    """Each member with the controls `acting_user` may use on them (no extra queries)."""
    rows = []
    owner_actor = acting_user.role == Role.OWNER
    for member in members:
        is_owner = member.role == Role.OWNER
        last_owner = is_owner and member.is_active and active_owners <= 1
        why = ""
        if is_owner and not owner_actor:
            why = str(_("Only owners can change an owner."))
        elif last_owner:
            why = str(_("The last owner: make someone else an owner first."))
        rows.append(
            MemberControls(
                member=member,
                role_choices=[] if why or not member.is_active else assignable_roles(acting_user),
                can_deactivate=(
                    member.is_active
                    and member.pk != acting_user.pk
                    and not (is_owner and not owner_actor)
                    and not last_owner
                ),
                can_reactivate=not member.is_active and not (is_owner and not owner_actor),
                why_locked=why,
            )
        )
    return rows
