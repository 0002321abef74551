"""Members of a workspace, living in its schema (and operators, in the public schema)."""

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    ADMIN = "admin", _("Admin")
    MEMBER = "member", _("Member")


class UserManager(BaseUserManager["User"]):
    """Creation helpers for Django's own tooling (createsuperuser); product code uses actions."""

    def create_user(self, email: str, password: str | None = None, **fields: object) -> "User":
        user = self.model(email=self.normalize_email(email), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields: object) -> "User":
        fields.setdefault("is_staff", True)
        fields.setdefault("is_superuser", True)
        return self.create_user(email, password, **fields)

    def get_by_natural_key(self, username: str | None) -> "User":
        # E-mails match case-insensitively, as people type them.
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    """A member of the workspace whose schema holds this row (an operator in `public`).

    A member who leaves is deactivated (`is_active=False`), never deleted, so
    everything they created keeps its author.
    """

    email = models.EmailField(_("e-mail"))
    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.MEMBER)
    language = models.CharField(_("language"), max_length=8, blank=True)
    # Blank: the workspace's. Times are shown to the member in this zone; tasks are
    # still set in the workspace's zone (see crm.actions.tasks).
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("operator"), default=False)
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)
    deactivated_at = models.DateTimeField(_("deactivated"), null=True, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_unique_ci")]
        ordering = ["full_name", "email"]

    def __str__(self) -> str:
        return self.full_name or self.email

    @property
    def display_name(self) -> str:
        return self.full_name or self.email

    @property
    def is_workspace_admin(self) -> bool:
        """Owners and admins manage members and settings."""
        return self.role in (Role.OWNER, Role.ADMIN)


class Invitation(models.Model):
    """An invitation for an e-mail address to join the workspace with a role.

    Only a SHA-256 of the token is stored; the token itself is only in the e-mail.
    """

    email = models.EmailField(_("e-mail"))
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.MEMBER)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="invitations_sent")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                condition=models.Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="invitation_one_open_per_email",
            )
        ]

    def __str__(self) -> str:
        return f"{self.email} ({self.role})"

    @property
    def is_open(self) -> bool:
        return (
            self.accepted_at is None
            and self.revoked_at is None
            and self.expires_at > timezone.now()
        )


class AuditEntry(models.Model):
    """Who changed what in the workspace, and when (old and new values in `changes`)."""

    class Action(models.TextChoices):
        WORKSPACE_CREATED = "workspace.created", _("Workspace created")
        SETTINGS_CHANGED = "workspace.settings_changed", _("Workspace settings changed")
        MEMBER_INVITED = "member.invited", _("Member invited")
        INVITATION_REVOKED = "member.invitation_revoked", _("Invitation revoked")
        MEMBER_JOINED = "member.joined", _("Member joined")
        ROLE_CHANGED = "member.role_changed", _("Role changed")
        MEMBER_DEACTIVATED = "member.deactivated", _("Member deactivated")
        MEMBER_REACTIVATED = "member.reactivated", _("Member reactivated")
        API_KEY_CREATED = "api_key.created", _("API key created")
        API_KEY_REVOKED = "api_key.revoked", _("API key revoked")
        BACKUP_ORDERED = "backup.ordered", _("Backup ordered")
        BACKUP_FAILED = "backup.failed", _("Backup failed")
        SCHEDULED_BACKUPS_CHANGED = "backup.schedule_changed", _("Scheduled backups changed")

    actor = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="audit_entries"
    )
    action = models.CharField(max_length=64, choices=Action.choices)
    target = models.CharField(max_length=200, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.target}"


class Operator(User):
    """A platform operator (a user of the public schema), as the operator console names them.

    A proxy, so the console says "Operators" where "Members" would clash with what
    members mean everywhere else (people of a workspace).
    """

    class Meta:
        proxy = True
        verbose_name = _("operator")
        verbose_name_plural = _("operators")
