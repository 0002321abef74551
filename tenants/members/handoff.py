"""One-time login links that carry a person from the public site into their workspace.

Session cookies are host-only, so the public site cannot log anyone in on
`acme.example.com` directly; it redirects there with a short-lived, single-use,
signed token naming the member and the workspace schema.
"""

import hashlib

from django.core import signing
from django.core.cache import cache

from tenants.db import current_schema_name
from tenants.members.models import User

_SALT = "kartoteka.members.login-handoff"
HANDOFF_MAX_AGE_SECONDS = 120


def make_login_handoff(*, schema_name: str, user: User) -> str:
    """A token that logs `user` into the workspace `schema_name` once, within two minutes."""
    return signing.dumps({"schema": schema_name, "user": user.pk}, salt=_SALT)


def consume_login_handoff(token: str) -> User | None:
    """The active member a token names in the current workspace, or None.

    Fails for tokens that are forged, older than HANDOFF_MAX_AGE_SECONDS, made for
    another workspace, or already used (single use is kept in the workspace's cache).
    """
    try:
        payload = signing.loads(token, salt=_SALT, max_age=HANDOFF_MAX_AGE_SECONDS)
    except signing.BadSignature:
        return None
    if payload.get("schema") != current_schema_name():
        return None
    used_key = f"login-handoff-used:{hashlib.sha256(token.encode()).hexdigest()}"
    if not cache.add(used_key, True, timeout=HANDOFF_MAX_AGE_SECONDS * 2):
        return None
    return User.objects.filter(pk=payload.get("user"), is_active=True).first()
