"""Writes about API keys: create, revoke, and the bookkeeping of their use.

Everything here runs inside a workspace schema. Creating and revoking are for owners
and admins and are written to the workspace's audit log in the same transaction.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tenants.api_keys.models import ApiKey, ApiKeyScope
from tenants.members.actions import require_workspace_admin
from tenants.members.models import AuditEntry, User

KEY_PREFIX = "kt_"
# How many leading characters of a key the lists show (the "kt_" plus 7 random ones).
SHOWN_PREFIX_LENGTH = 10
# last_used_at is exact to this much: one UPDATE a minute per key, not one per request.
LAST_USED_PRECISION = timedelta(minutes=1)


@dataclass(frozen=True)
class CreatedApiKey:
    """A new key and its secret; the secret exists only here and is never stored."""

    api_key: ApiKey
    secret: str


def hash_secret(secret: str) -> str:
    """SHA-256 of a key's secret (see ApiKey for why a fast hash is right here)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def _clean_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise ValidationError({"name": _("Give the key a name.")}, code="required")
    if len(name) > ApiKey._meta.get_field("name").max_length:  # type: ignore[operator]
        raise ValidationError({"name": _("The name is too long.")}, code="invalid")
    if ApiKey.objects.filter(name__iexact=name, revoked_at__isnull=True).exists():
        raise ValidationError(
            {"name": _("An active key with this name exists already.")}, code="duplicate"
        )
    return name


@transaction.atomic
def create_api_key(
    *, acting_user: User, name: str, scope: str, can_export: bool = False
) -> CreatedApiKey:
    """Create a key that acts as `acting_user`; the secret is returned once, never stored.

    Requests made with the key act with its creator's role and visibility, and
    history names the key ("via API key <name>"). `can_export` adds the export scope
    (only owners and admins create keys, and only they export).
    """
    require_workspace_admin(acting_user)
    if scope not in ApiKeyScope.values:
        raise ValidationError({"scope": _("Unknown access level.")}, code="invalid")
    name = _clean_name(name)
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    api_key = ApiKey.objects.create(
        name=name,
        prefix=secret[:SHOWN_PREFIX_LENGTH],
        secret_hash=hash_secret(secret),
        scope=scope,
        can_export=can_export,
        created_by=acting_user,
    )
    changes: dict[str, list[object]] = {"scope": [None, scope]}
    if can_export:
        changes["can_export"] = [None, True]
    AuditEntry.objects.create(
        actor=acting_user,
        action=AuditEntry.Action.API_KEY_CREATED,
        target=name,
        changes=changes,
    )
    return CreatedApiKey(api_key=api_key, secret=secret)


@transaction.atomic
def revoke_api_key(*, acting_user: User, api_key: ApiKey) -> ApiKey:
    """Make a key stop working at once (it stays listed, marked revoked)."""
    require_workspace_admin(acting_user)
    api_key = ApiKey.objects.select_for_update().get(pk=api_key.pk)
    if api_key.revoked_at is not None:
        return api_key
    api_key.revoked_at = timezone.now()
    api_key.save(update_fields=["revoked_at"])
    AuditEntry.objects.create(
        actor=acting_user, action=AuditEntry.Action.API_KEY_REVOKED, target=api_key.name
    )
    return api_key


def api_key_for_secret(secret: str) -> ApiKey | None:
    """The usable key with this secret in the current workspace, or None.

    None for unknown, revoked, or malformed secrets and for keys whose creator was
    deactivated (a member who left cannot keep acting through a script). Records the
    use at most once a minute (one cheap UPDATE, no lock).
    """
    if not secret.startswith(KEY_PREFIX) or len(secret) > 200:
        return None
    api_key = (
        ApiKey.objects.select_related("created_by")
        .filter(secret_hash=hash_secret(secret), revoked_at__isnull=True)
        .first()
    )
    if api_key is None or not api_key.created_by.is_active:
        return None
    now = timezone.now()
    if api_key.last_used_at is None or now - api_key.last_used_at >= LAST_USED_PRECISION:
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now
    return api_key
