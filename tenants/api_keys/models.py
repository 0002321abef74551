"""API keys of a workspace, living in its schema.

A key is looked up only in the schema of the host it was sent to, so a key of
workspace A sent to workspace B's host finds nothing there: isolation by construction.
"""

from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from tenants.members.models import User


class ApiKeyScope(models.TextChoices):
    READ = "read", _("Read")
    READ_WRITE = "read_write", _("Read and write")


class ApiKey(models.Model):
    """A secret that lets a script act in the workspace as the member who created the key.

    Only a SHA-256 of the secret is stored. A slow password hash (PBKDF2, Argon2) exists
    to make guessing a *human-chosen* password expensive; our secrets are 256 bits from
    `secrets`, so guessing one is hopeless at any hash speed, and a fast hash lets every
    API request find its key with one indexed lookup instead of a deliberate 100 ms of CPU.
    """

    name = models.CharField(_("name"), max_length=100)
    # The first characters of the key, shown in lists so people can tell keys apart.
    prefix = models.CharField(_("prefix"), max_length=16)
    secret_hash = models.CharField(max_length=64, unique=True)
    scope = models.CharField(
        _("access"), max_length=16, choices=ApiKeyScope.choices, default=ApiKeyScope.READ
    )
    # The separate "export" scope: the key may take whole tables out as files (POST
    # /api/exports). Only owners and admins export, so it is granted explicitly, on top of
    # read or read+write, and works only while the key's creator is still an owner/admin.
    can_export = models.BooleanField(_("may export"), default=False)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="api_keys")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # Updated at most once a minute per key (see actions.LAST_USED_PRECISION).
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                condition=models.Q(revoked_at__isnull=True),
                name="api_key_one_active_per_name",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def can_write(self) -> bool:
        return self.scope == ApiKeyScope.READ_WRITE

    @property
    def scopes(self) -> list[str]:
        """The key's scopes as the API and the command name them: read, write, export."""
        return [
            "read",
            *(["write"] if self.can_write else []),
            *(["export"] if self.can_export else []),
        ]
