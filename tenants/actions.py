"""Writes about workspaces: provisioning, settings, the platform's own rows.

Every function here runs in the public schema (it says so when it enters a workspace).
"""

import secrets
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django_countries import countries
from django_tenants.utils import schema_context, schema_exists

from tenants.db import current_schema_name
from tenants.members import actions as member_actions
from tenants.members.models import AuditEntry, User
from tenants.models import Domain, Workspace, WorkspaceStatus
from tenants.policy import workspace_policy
from tenants.regional import canonical_zone
from tenants.selectors import workspace_host
from tenants.validators import normalize_subdomain, validate_subdomain


class PlatformNotReadyError(RuntimeError):
    """The template workspace is missing: run `python manage.py release` first."""


@dataclass(frozen=True)
class NewWorkspace:
    workspace: Workspace
    owner: User
    seconds: float


def _generated_schema_name() -> str:
    # Never derived from input: a schema name reaches SQL as an identifier.
    return f"ws_{secrets.token_hex(6)}"


def _require_public_schema() -> None:
    if current_schema_name() != settings.PUBLIC_SCHEMA_NAME:
        raise RuntimeError(f"must run in the public schema, not {current_schema_name()!r}")


def subdomain_error(subdomain: str) -> ValidationError | None:
    """Why `subdomain` cannot be used for a new workspace, or None when it is free."""
    try:
        validate_subdomain(subdomain)
    except ValidationError as error:
        return error
    if Workspace.objects.filter(subdomain=subdomain).exists():
        return ValidationError(
            _("The address “%(subdomain)s” is already taken. Please choose another one."),
            code="taken",
            params={"subdomain": subdomain},
        )
    return None


@transaction.atomic
def create_workspace(
    *,
    name: str,
    subdomain: str,
    owner_email: str,
    owner_password: str | None,
    language: str = "ru",
    owner_full_name: str = "",
    default_country: str = "",
    time_zone: str = "",
    owner_language: str = "",
) -> NewWorkspace:
    """Provision a workspace by cloning the template, and its first owner.

    Public schema. All or nothing: one transaction covers the workspace row, its
    cloned schema (PostgreSQL DDL is transactional), its domain and its owner.
    Raises ValidationError with code "taken" when the subdomain is not free, also
    when a concurrent signup took it a moment earlier. Country and time zone: the
    signup guesses them (tenants.regional.guess_region); empty keeps the model's
    defaults. `owner_language` is the owner's own choice (empty: the workspace's).
    """
    _require_public_schema()
    started = time.perf_counter()
    subdomain = normalize_subdomain(subdomain)
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Please enter the name of your business.")})
    error = subdomain_error(subdomain)
    if error is not None:
        raise ValidationError({"subdomain": error})
    if not schema_exists(settings.TENANT_BASE_SCHEMA):
        raise PlatformNotReadyError(
            "The template workspace is missing; run `python manage.py release`."
        )
    if language not in {code for code, _name in settings.LANGUAGES}:
        language = settings.LANGUAGE_CODE
    region: dict[str, str] = {}
    if time_zone:
        canonical = canonical_zone(time_zone)
        if canonical is None:
            raise ValidationError({"time_zone": _("Please choose a time zone from the list.")})
        region["time_zone"] = canonical
    if default_country:
        if default_country.upper() not in countries:
            raise ValidationError({"country": _("Please choose a country from the list.")})
        region["default_country"] = default_country.upper()
    if owner_language not in {code for code, _name in settings.LANGUAGES}:
        owner_language = ""

    workspace = Workspace(
        schema_name=_generated_schema_name(),
        name=name,
        subdomain=subdomain,
        default_language=language,
        **region,
    )
    try:
        with transaction.atomic():
            workspace.save(verbosity=0)
    except IntegrityError as integrity_error:
        # The same subdomain committed by a concurrent signup between our check and insert.
        raise ValidationError(
            {
                "subdomain": ValidationError(
                    _("The address “%(subdomain)s” is already taken. Please choose another one."),
                    code="taken",
                    params={"subdomain": subdomain},
                )
            }
        ) from integrity_error
    Domain.objects.create(domain=workspace_host(subdomain), tenant=workspace, is_primary=True)

    with schema_context(workspace.schema_name):
        owner = member_actions.create_first_owner(
            workspace=workspace,
            email=owner_email,
            password=owner_password,
            full_name=owner_full_name,
            # The language they signed up in is their choice; empty follows the workspace.
            language=owner_language,
        )
    # Billing (through the policy, so tenants does not import it) starts the trial here.
    workspace_policy().workspace_created(workspace)
    return NewWorkspace(workspace=workspace, owner=owner, seconds=time.perf_counter() - started)


@transaction.atomic
def ensure_platform_rows() -> None:
    """Create the public site's row and domain, and the template workspace, if missing.

    Public schema. Idempotent; `release` runs it before migrating workspaces. Creating
    the template runs every tenant migration once; afterwards `migrate_schemas`
    keeps it current because it is a workspace row like any other.
    """
    _require_public_schema()
    public, _created = Workspace.objects.get_or_create(
        schema_name=settings.PUBLIC_SCHEMA_NAME,
        defaults={"name": "Kartoteka", "subdomain": "", "kind": Workspace.Kind.PUBLIC},
    )
    Domain.objects.get_or_create(
        domain=settings.PLATFORM_DOMAIN, defaults={"tenant": public, "is_primary": True}
    )
    if not Workspace.objects.filter(schema_name=settings.TENANT_BASE_SCHEMA).exists():
        Workspace(
            schema_name=settings.TENANT_BASE_SCHEMA,
            name="Template",
            subdomain="_template",
            kind=Workspace.Kind.TEMPLATE,
        ).save(verbosity=0)


# Workspace fields an admin may change, with how each is shown in the audit log.
WORKSPACE_SETTINGS_FIELDS = ("name", "default_country", "time_zone", "default_language")


@transaction.atomic
def update_workspace_settings(
    *, acting_user: User, workspace: Workspace, values: dict[str, object]
) -> dict[str, list[object]]:
    """Change a workspace's settings and record who changed what, from and to.

    Runs inside the workspace (the audit entry lives in its schema; the workspace
    row, in public, is reached through the search path). Returns the changes
    as {field: [old, new]}; nothing is written when nothing changed.
    """
    member_actions.require_workspace_admin(acting_user)
    changes: dict[str, list[object]] = {}
    for field in WORKSPACE_SETTINGS_FIELDS:
        if field not in values:
            continue
        old, new = str(getattr(workspace, field)), values[field]
        if field == "name":
            new = str(new).strip()
            if not new:
                raise ValidationError({"name": _("The workspace needs a name.")})
        if str(new) != old:
            changes[field] = [old, str(new)]
            setattr(workspace, field, new)
    if not changes:
        return changes
    workspace.full_clean(exclude=["schema_name", "subdomain"])
    Workspace.objects.filter(pk=workspace.pk).update(
        **{field: getattr(workspace, field) for field in changes}
    )
    AuditEntry.objects.create(
        actor=acting_user,
        action=AuditEntry.Action.SETTINGS_CHANGED,
        target=workspace.name,
        changes=changes,
    )
    return changes


@transaction.atomic
def set_workspace_status(*, acting_operator: User, workspace: Workspace, status: str) -> None:
    """Suspend or restore a workspace (operators; billing sets read-only itself).

    Public schema. A suspended workspace answers every request with a notice and
    keeps all its data.
    """
    _require_public_schema()
    if not acting_operator.is_staff:
        raise PermissionError("only operators change a workspace's status")
    if status not in WorkspaceStatus.values:
        raise ValueError(f"unknown status {status!r}")
    Workspace.objects.filter(pk=workspace.pk).update(status=status)
