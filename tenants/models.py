"""Workspaces and what the public schema knows about them."""

import zoneinfo

from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from django_tenants.models import DomainMixin, TenantMixin
from django_tenants.utils import get_creation_fakes_migrations, schema_exists

from tenants.schema_clone import clone_template


class WorkspaceStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    # Set by billing when the trial ends unpaid: members can read but not write.
    READ_ONLY = "read_only", _("Read-only")
    SUSPENDED = "suspended", _("Suspended")


class Language(models.TextChoices):
    RUSSIAN = "ru", _("Russian")
    UKRAINIAN = "uk", _("Ukrainian")
    ENGLISH = "en", _("English")


TIME_ZONE_CHOICES = [(name, name) for name in sorted(zoneinfo.available_timezones())]


class Workspace(TenantMixin):
    """One business's workspace: a PostgreSQL schema, reached at <subdomain>.<platform>.

    `schema_name` is generated (see tenants.provisioning), never taken from input.
    The public schema and the template workspace are rows here too, as django-tenants
    requires; `kind` tells them apart from customers' workspaces.
    """

    class Kind(models.TextChoices):
        CUSTOMER = "customer", _("Customer workspace")
        PUBLIC = "public", _("Public site")
        TEMPLATE = "template", _("Template")

    name = models.CharField(_("name"), max_length=100)
    subdomain = models.CharField(_("subdomain"), max_length=63, unique=True)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.CUSTOMER)
    status = models.CharField(
        _("status"), max_length=16, choices=WorkspaceStatus.choices, default=WorkspaceStatus.ACTIVE
    )
    default_country = CountryField(_("default country"), default="RU")
    time_zone = models.CharField(
        _("time zone"), max_length=64, choices=TIME_ZONE_CHOICES, default="Europe/Moscow"
    )
    default_language = models.CharField(
        _("default language"), max_length=8, choices=Language.choices, default=Language.RUSSIAN
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    auto_create_schema = True
    auto_drop_schema = False  # Workspaces are suspended or archived, never dropped by a delete.

    class Meta:
        verbose_name = _("workspace")
        verbose_name_plural = _("workspaces")

    def __str__(self) -> str:
        return f"{self.name} ({self.subdomain})"

    def create_schema(
        self, check_if_exists: bool = False, sync_schema: bool = True, verbosity: int = 1
    ) -> bool:
        """Create this workspace's schema: a clone of the template (tenants.schema_clone).

        Called by django-tenants when the row is first saved. The template itself, and any
        workspace made while TENANT_CREATION_FAKES_MIGRATIONS is off, are built by running
        every migration instead (django-tenants' own path).
        """
        clones = sync_schema and self.kind != self.Kind.TEMPLATE and get_creation_fakes_migrations()
        # get_base_schema is False for the public schema's row (and raises when
        # TENANT_CREATION_FAKES_MIGRATIONS is off, hence after that check).
        base_schema = self.get_base_schema() if clones else False
        if not base_schema or not schema_exists(base_schema):
            return bool(super().create_schema(check_if_exists, sync_schema, verbosity))
        if check_if_exists and schema_exists(self.schema_name):
            return False
        clone_template(template_schema=str(base_schema), schema_name=self.schema_name)
        return True


class Domain(DomainMixin):
    """A host name that routes to a workspace (`acme.example.com`)."""

    class Meta:
        verbose_name = _("domain")
        verbose_name_plural = _("domains")


class MemberDirectoryEntry(models.Model):
    """The public schema's index of who is a member where.

    Members live in their workspace's schema; this copy, kept current by the member
    actions in the same transaction (and by allauth's e-mail signals, see
    tenants.members.apps), answers "find my workspace" and gives operators member counts
    and owner e-mails without entering every schema.

    `email_verified`: the address is confirmed (an accepted invitation, or the owner's
    confirmation link). Find-my-workspace lists only confirmed addresses, so signing up
    with someone else's address puts nothing into that person's mailbox.
    """

    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="member_directory"
    )
    user_id = models.BigIntegerField()
    email = models.EmailField()
    role = models.CharField(max_length=16)
    is_active = models.BooleanField(default=True)
    email_verified = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "user_id"], name="member_directory_one_row_per_member"
            )
        ]
        indexes = [models.Index(Lower("email"), name="member_directory_email_ci")]

    def __str__(self) -> str:
        return f"{self.email} in {self.workspace_id}"
