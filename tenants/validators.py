"""Validation of what people type when they name a workspace."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

SUBDOMAIN_MIN_LENGTH = 3
SUBDOMAIN_MAX_LENGTH = 40

# Hosts the platform uses or may use itself, and names that invite phishing.
RESERVED_SUBDOMAINS = frozenset(
    {
        "www",
        "admin",
        "administrator",
        "api",
        "app",
        "apps",
        "static",
        "media",
        "assets",
        "cdn",
        "mail",
        "email",
        "smtp",
        "imap",
        "pop",
        "ftp",
        "ns",
        "ns1",
        "ns2",
        "dns",
        "mx",
        "webmail",
        "help",
        "support",
        "status",
        "docs",
        "blog",
        "news",
        "billing",
        "pay",
        "payments",
        "stripe",
        "account",
        "accounts",
        "login",
        "logout",
        "signup",
        "register",
        "auth",
        "oauth",
        "sso",
        "security",
        "dashboard",
        "console",
        "operator",
        "operators",
        "root",
        "system",
        "test",
        "demo-admin",
        "dev",
        "staging",
        "prod",
        "production",
        "kartoteka",
        "public",
        "template",
        "internal",
        "localhost",
        "vpn",
        "git",
        "web",
    }
)

_SUBDOMAIN_PATTERN = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?")


def normalize_subdomain(value: str) -> str:
    """Subdomains are compared and stored lower-case, without surrounding spaces."""
    return value.strip().lower()


def validate_subdomain(value: str) -> None:
    """Raise ValidationError (with a code) unless `value` can be a workspace subdomain.

    Checks form only; whether it is free is the provisioning action's job, because
    only the database can answer that without a race.
    """
    if len(value) < SUBDOMAIN_MIN_LENGTH:
        raise ValidationError(
            _("The address must be at least %(min)d characters long."),
            code="too_short",
            params={"min": SUBDOMAIN_MIN_LENGTH},
        )
    if len(value) > SUBDOMAIN_MAX_LENGTH:
        raise ValidationError(
            _("The address must be at most %(max)d characters long."),
            code="too_long",
            params={"max": SUBDOMAIN_MAX_LENGTH},
        )
    # fullmatch: `$` would also accept a trailing newline.
    if not _SUBDOMAIN_PATTERN.fullmatch(value):
        raise ValidationError(
            _(
                "Use only Latin letters a-z, digits and hyphens; "
                "the address cannot start or end with a hyphen."
            ),
            code="invalid_characters",
        )
    if "--" in value:
        raise ValidationError(
            _("The address cannot contain two hyphens in a row."), code="invalid_characters"
        )
    if value in RESERVED_SUBDOMAINS:
        raise ValidationError(
            _("The address “%(subdomain)s” is reserved. Please choose another one."),
            code="reserved",
            params={"subdomain": value},
        )
