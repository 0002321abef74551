"""One-time login hand-offs that carry a new owner from the public site into their workspace.

Session cookies are host-only, so the public site cannot log anyone in on
`acme.example.com` directly. Right after signup it shows a form that POSTs a
hand-off token to the workspace's `welcome` view, which logs the owner in.

The token is opaque: 32 random bytes. What it stands for (the member) is kept
server-side in the workspace's own cache (keys carry the schema), so a token is
bound to its workspace by construction, shows nothing of the schema or the member,
works for HANDOFF_MAX_AGE_SECONDS and only once.
"""

import hashlib
import secrets

from django.core.cache import cache
from django_tenants.utils import schema_context

from tenants.db import current_schema_name
from tenants.members.models import User

HANDOFF_MAX_AGE_SECONDS = 120


def _cache_key(token: str) -> str:
    # Only a hash of the token is stored: reading the cache does not give a working link.
    return f"login-handoff:{hashlib.sha256(token.encode()).hexdigest()}"


def make_login_handoff(*, schema_name: str, user: User) -> str:
    """A token that logs `user` into the workspace `schema_name` once, within two minutes.

    May be called from any schema: the token is stored in `schema_name`'s cache space.
    """
    token = secrets.token_urlsafe(32)
    with schema_context(schema_name):
        cache.set(
            _cache_key(token),
            {"schema": schema_name, "user": user.pk},
            timeout=HANDOFF_MAX_AGE_SECONDS,
        )
    return token


def consume_login_handoff(token: str) -> User | None:
    """The member a token names in the current workspace, or None; the token is spent.

    None for tokens that are unknown, older than HANDOFF_MAX_AGE_SECONDS, made for
    another workspace, already used, or for a member who is deactivated or has turned
    on two-factor authentication since (a hand-off never skips a second factor).
    """
    if not token or len(token) > 100:
        return None
    key = _cache_key(token)
    payload = cache.get(key)
    # delete() answers True for exactly one caller: two browsers racing with one token
    # cannot both get in.
    if not isinstance(payload, dict) or not cache.delete(key):
        return None
    if payload.get("schema") != current_schema_name() or not isinstance(payload.get("user"), int):
        return None
    user = User.objects.filter(pk=payload["user"], is_active=True).first()
    if user is None or _has_second_factor(user):
        return None
    return user


def _has_second_factor(user: User) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user).exists()
