from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    """Members of a workspace (users in its schema), invitations and the audit log."""

    name = "tenants.members"
    label = "members"
    verbose_name = _("Members")
