from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    """Members of a workspace (users in its schema), invitations and the audit log."""

    name = "tenants.members"
    label = "members"
    # Shown only in the operator console, where this app's one model is the operators.
    verbose_name = _("Operator accounts")
