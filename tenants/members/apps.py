from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    """Members of a workspace (users in its schema), invitations and the audit log."""

    name = "tenants.members"
    label = "members"
    # Shown only in the operator console, where this app's one model is the operators.
    verbose_name = _("Operator accounts")

    def ready(self) -> None:
        # allauth's account pages change a member's addresses without our actions; its
        # signals keep the public member directory (find-my-workspace) current.
        from allauth.account import signals

        for signal in (
            signals.email_added,
            signals.email_confirmed,
            signals.email_changed,
            signals.email_removed,
        ):
            signal.connect(
                _address_changed, dispatch_uid=f"members-directory-{id(signal)}", weak=False
            )


def _address_changed(sender: object, **kwargs: Any) -> None:
    from tenants.members.actions import sync_member_directory

    user = kwargs.get("user")
    if user is None and kwargs.get("email_address") is not None:
        user = kwargs["email_address"].user
    if user is not None:
        sync_member_directory(member=user)
