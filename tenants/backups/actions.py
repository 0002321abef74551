"""Writes about backups: order, make, expire, download, restore (public schema).

Every function runs in the public schema and enters a workspace only through the
engine (which uses its own connections) or `schema_context`, and says so.
"""

import hashlib
import secrets
import time
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage, storages
from django.core.mail import send_mail
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django_tenants.utils import schema_context, schema_exists

from tenants.backups.engine import BackupRefusedError, Manifest, opened_archive, write_archive
from tenants.backups.models import Backup, BackupDownload, Restore
from tenants.backups.snapshot import load_schema, own_connection, row_counts
from tenants.db import current_schema_name
from tenants.members.actions import quoted_for_email
from tenants.members.models import AuditEntry, User
from tenants.models import Domain, Workspace
from tenants.policy import workspace_policy
from tenants.schema_clone import clone_template
from tenants.selectors import workspace_host, workspace_url
from tenants.validators import normalize_subdomain, validate_subdomain


def backup_storage():
    """The storage backups go to (STORAGES["backups"]): never a web-served folder."""
    return storages["backups"]


def _require_public_schema() -> None:
    if current_schema_name() != settings.PUBLIC_SCHEMA_NAME:
        raise RuntimeError(f"must run in the public schema, not {current_schema_name()!r}")


def retention_days(workspace: Workspace) -> int:
    """How long a finished backup is kept: the workspace's plan says (default 90 days)."""
    return workspace_policy().backup_retention_days(workspace)


@transaction.atomic
def request_backup(
    *,
    workspace: Workspace,
    reason: str,
    requested_by_user_id: int | None = None,
    requested_by_email: str = "",
    requested_by_language: str = "",
    period_key: str = "",
    run_in_background: bool = True,
) -> Backup:
    """Queue a backup of `workspace`; the worker makes it (`make_backup`) after commit.

    A scheduled backup names its period (`period_key`): a second request for the same
    workspace and period returns the first one and queues nothing (a database constraint
    decides, so two beat runs at once still make one).
    """
    _require_public_schema()
    if period_key:
        existing = Backup.objects.filter(workspace=workspace, period_key=period_key).first()
        if existing is not None:
            return existing
    try:
        with transaction.atomic():
            backup = Backup.objects.create(
                workspace=workspace,
                reason=reason,
                requested_by_user_id=requested_by_user_id,
                requested_by_email=requested_by_email,
                requested_by_language=requested_by_language,
                period_key=period_key,
            )
    except IntegrityError:
        if not period_key:
            raise
        return Backup.objects.get(workspace=workspace, period_key=period_key)
    if run_in_background:
        from tenants.backups.tasks import make_backup_task

        def send() -> None:
            # A workspace task is sent from inside its workspace (tenants.task_runtime).
            with schema_context(workspace.schema_name):
                make_backup_task.delay(str(backup.pk))

        transaction.on_commit(send)
    return backup


def _table_count(schema: str) -> int:
    with own_connection(autocommit=True) as raw, raw.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relkind = 'r'",
            [schema],
        )
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def make_backup(*, backup_id: str, will_retry: bool = False) -> Backup:
    """Make the archive of a queued (or failed, being retried) backup and store it.

    Safe to run twice: a backup already done is returned as it is. The snapshot is
    consistent (one REPEATABLE READ transaction) while people keep working. On a failure
    the backup goes back to the queue when `will_retry` (the task tries again), else it
    is marked failed; the error is kept either way and the exception re-raised.
    """
    _require_public_schema()
    with transaction.atomic():
        backup = Backup.objects.select_for_update().select_related("workspace").get(pk=backup_id)
        if backup.status == Backup.Status.DONE:
            return backup
        if backup.status == Backup.Status.EXPIRED:
            return backup
        backup.status = Backup.Status.RUNNING
        backup.started_at = timezone.now()
        backup.attempts += 1
        backup.progress = {
            "tables_done": 0,
            "tables_total": _table_count(backup.workspace.schema_name),
        }
        backup.save(update_fields=["status", "started_at", "attempts", "progress"])
    workspace = backup.workspace
    staging = Path(getattr(settings, "BACKUP_STAGING_DIR", settings.BASE_DIR / ".local" / "tmp"))
    tables_total = int(backup.progress["tables_total"])

    def progress(tables_done: int, _total: int) -> None:
        Backup.objects.filter(pk=backup.pk).update(
            progress={"tables_done": tables_done, "tables_total": tables_total}
        )

    try:
        written = write_archive(workspace.schema_name, staging, on_progress=progress)
        try:
            name = f"{workspace.pk}/{backup.pk}.kbk"
            with written.path.open("rb") as archive_file:
                stored_name = backup_storage().save(name, File(archive_file, name=name))
        finally:
            written.path.unlink(missing_ok=True)
    except Exception as error:
        Backup.objects.filter(pk=backup.pk).update(
            status=Backup.Status.QUEUED if will_retry else Backup.Status.FAILED,
            error=str(error)[:2000],
            finished_at=None if will_retry else timezone.now(),
            progress={"retrying": True} if will_retry else {},
        )
        raise
    manifest = written.manifest
    Backup.objects.filter(pk=backup.pk).update(
        status=Backup.Status.DONE,
        finished_at=timezone.now(),
        expires_at=timezone.now() + timedelta(days=retention_days(workspace)),
        storage_name=stored_name,
        bytes=written.bytes,
        sha256=written.sha256,
        tables=len(manifest.tables),
        rows=manifest.total_rows,
        files=len(manifest.files),
        seconds=written.seconds,
        error="",
        progress={"tables_done": len(manifest.tables), "tables_total": len(manifest.tables)},
    )
    backup.refresh_from_db()
    if backup.reason == Backup.Reason.ORDERED and backup.requested_by_email:
        _send_backup_email(backup, "done")
    return backup


def _send_backup_email(backup: Backup, kind: str, *, refunded: bool = False) -> None:
    """Tell the admin who asked for `backup` that it is done or failed, in their language."""
    workspace = backup.workspace
    context = {
        "backup": backup,
        "refunded": refunded,
        "backups_url": workspace_url(
            workspace, reverse("backup_list", urlconf=settings.ROOT_URLCONF)
        ),
        "workspace_name": quoted_for_email(workspace.name),
    }
    language = backup.requested_by_language or workspace.default_language
    with translation.override(language):
        subject = render_to_string(f"backups/email/{kind}_subject.txt", context).strip()
        body = render_to_string(f"backups/email/{kind}_body.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [backup.requested_by_email])


def report_backup_failure(*, backup_id: str) -> Backup:
    """A backup failed for good: give its charge back, tell the admin, write the audit.

    Public schema. Done once per backup (`failure_reported_at`, under a row lock), however
    often the task's last try is replayed. Billing decides about the charge through the
    workspace policy (a paid backup is refunded through Stripe).
    """
    _require_public_schema()
    with transaction.atomic():
        backup = Backup.objects.select_for_update().select_related("workspace").get(pk=backup_id)
        if backup.failure_reported_at is not None or backup.status != Backup.Status.FAILED:
            return backup
        backup.failure_reported_at = timezone.now()
        backup.save(update_fields=["failure_reported_at"])
    refunded = workspace_policy().backup_failed(backup)
    _audit_in_workspace(
        backup.workspace,
        action=AuditEntry.Action.BACKUP_FAILED,
        actor_id=backup.requested_by_user_id,
        changes={"backup": str(backup.pk), "error": backup.error[:200], "refunded": refunded},
    )
    if backup.requested_by_email:
        _send_backup_email(backup, "failed", refunded=refunded)
    return backup


def _audit_in_workspace(
    workspace: Workspace, *, action: str, actor_id: int | None, changes: dict[str, object]
) -> None:
    """Write one entry into the workspace's own audit log (its schema)."""
    with schema_context(workspace.schema_name):
        actor = User.objects.filter(pk=actor_id).first() if actor_id else None
        AuditEntry.objects.create(actor=actor, action=action, target="backup", changes=changes)


def prune_scheduled_backups(*, workspace: Workspace, keep: int) -> int:
    """Keep only the newest `keep` finished scheduled backups of `workspace`.

    Public schema. The older ones lose their archive and are marked expired (the rows
    stay, as for backups past their retention). Returns how many were removed.
    """
    _require_public_schema()
    finished = Backup.objects.filter(
        workspace=workspace, reason=Backup.Reason.SCHEDULED, status=Backup.Status.DONE
    ).order_by("-created_at")
    removed = 0
    for backup in list(finished[max(keep, 0) :]):
        with transaction.atomic():
            locked = Backup.objects.select_for_update().get(pk=backup.pk)
            if locked.status != Backup.Status.DONE:
                continue
            if locked.storage_name:
                backup_storage().delete(locked.storage_name)
            locked.status = Backup.Status.EXPIRED
            locked.storage_name = ""
            locked.save(update_fields=["status", "storage_name"])
            removed += 1
    return removed


@transaction.atomic
def expire_backups(*, now=None) -> int:
    """Remove the archives whose retention has passed; the rows stay, marked expired."""
    _require_public_schema()
    now = now or timezone.now()
    expired = list(
        Backup.objects.select_for_update(skip_locked=True).filter(
            status=Backup.Status.DONE, expires_at__lte=now
        )
    )
    for backup in expired:
        if backup.storage_name:
            backup_storage().delete(backup.storage_name)
        backup.status = Backup.Status.EXPIRED
        backup.storage_name = ""
        backup.save(update_fields=["status", "storage_name"])
    return len(expired)


@transaction.atomic
def record_download(*, backup: Backup, user_id: int, email: str) -> BackupDownload:
    """Record that a member downloaded a backup (called before the file is sent)."""
    return BackupDownload.objects.create(backup=backup, user_id=user_id, email=email)


# ---------------------------------------------------------------- restore


def _template_migrations() -> set[tuple[str, str]]:
    with own_connection(autocommit=True) as raw, raw.cursor() as cursor:
        cursor.execute(
            f'SELECT app, name FROM "{settings.TENANT_BASE_SCHEMA}".django_migrations'  # noqa: S608 - a setting, not input
        )
        return {(app, name) for app, name in cursor.fetchall()}


def _check_migrations(manifest: Manifest) -> bool:
    """True when the backup's schema is exactly the current one; False when it is older.

    Raises BackupRefusedError for a backup made by newer code than this.
    """
    theirs = {(app, name) for app, name in manifest.migrations}
    ours = _template_migrations()
    newer = sorted(theirs - ours)
    if newer:
        raise BackupRefusedError(
            f"the backup was made by a newer version of Kartoteka (migrations {newer[:5]}); "
            "upgrade before restoring it"
        )
    return theirs == ours


def _build_target_schema(schema: str, manifest: Manifest, *, current: bool) -> None:
    """Create `schema` with the structure the backup's rows need.

    Same migrations as this code: a clone of the template (fast). An older backup: an
    empty schema migrated exactly to the backup's migration state, so its rows fit; it
    is migrated forward after loading.
    """
    if current:
        clone_template(template_schema=settings.TENANT_BASE_SCHEMA, schema_name=schema)
        return
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE SCHEMA "{schema}"')  # generated name, never input
    with schema_context(schema):
        executor = MigrationExecutor(connection)
        applied = {(app, name) for app, name in manifest.migrations}
        graph = executor.loader.graph
        targets = []
        for node in applied:
            if node not in graph.nodes:
                continue
            later = [
                other
                for other in applied
                if other != node and other[0] == node[0] and node in graph.forwards_plan(other)
            ]
            if not later:
                targets.append(node)
        executor.migrate(targets)


def _migrate_forward(schema: str) -> None:
    with schema_context(schema):
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())


def _load_and_verify(schema: str, manifest: Manifest, root: Path) -> tuple[bool, int]:
    """Load the rows and files into `schema`; return (verified, files restored)."""

    def open_table_file(table: str):
        return (root / "tables" / f"{table}.copy").open("rb")

    load_schema(schema, manifest.table_dumps(), manifest.sequence_states(), open_table_file)
    counts = row_counts(schema)
    verified = all(counts.get(table["name"]) == int(table["rows"]) for table in manifest.tables)
    files_restored = 0
    with schema_context(schema):
        for stored in manifest.files:
            with (root / "files" / stored["name"]).open("rb") as source:
                saved = default_storage.save(stored["name"], File(source, name=stored["name"]))
            verified = verified and saved == stored["name"]
            with default_storage.open(saved, "rb") as check:
                digest = hashlib.sha256(check.read()).hexdigest()
            verified = verified and digest == stored["sha256"]
            files_restored += 1
    return verified, files_restored


def _end_restored_sessions(schema: str) -> None:
    # Sessions of the source workspace mean nothing in the restored one.
    with own_connection(autocommit=True) as raw, raw.cursor() as cursor:
        cursor.execute(f'DELETE FROM "{schema}".django_session')  # noqa: S608 - generated name


def _rebuild_member_directory(workspace: Workspace) -> None:
    """Make the public member directory list the restored members of `workspace`."""
    from tenants.members.actions import sync_member_directory
    from tenants.members.models import User
    from tenants.models import MemberDirectoryEntry

    MemberDirectoryEntry.objects.filter(workspace=workspace).delete()
    with schema_context(workspace.schema_name):
        for member in User.objects.all():
            sync_member_directory(member=member)


def _open_backup(backup: Backup):
    if backup.status != Backup.Status.DONE or not backup.storage_name:
        raise BackupRefusedError("this backup is not available (not finished, or expired)")
    return backup_storage().open(backup.storage_name, "rb")


def restore_into_new_workspace(
    *, backup: Backup, subdomain: str, name: str = "", requested_by: str
) -> Restore:
    """Restore `backup` as a new workspace at `subdomain`; the live one is not touched.

    Public schema. Checks the whole archive before creating anything; the new
    workspace's schema name is generated here, never read from the archive.
    """
    _require_public_schema()
    started = time.perf_counter()
    subdomain = normalize_subdomain(subdomain)
    validate_subdomain(subdomain)
    if Workspace.objects.filter(subdomain=subdomain).exists():
        raise BackupRefusedError(f"the address {subdomain!r} is already taken")
    restore = Restore.objects.create(
        backup=backup, mode=Restore.Mode.NEW_WORKSPACE, requested_by=requested_by
    )
    try:
        with (
            _open_backup(backup) as archive_file,
            opened_archive(archive_file, expected_sha256=backup.sha256) as (manifest, root),
        ):
            current = _check_migrations(manifest)
            schema = f"ws_{secrets.token_hex(6)}"
            source = backup.workspace
            with transaction.atomic():
                workspace = Workspace(
                    schema_name=schema,
                    name=name or source.name,
                    subdomain=subdomain,
                    default_country=source.default_country,
                    time_zone=source.time_zone,
                    default_language=source.default_language,
                )
                # The row without its schema: the schema is built below, from the backup.
                workspace.auto_create_schema = False
                workspace.save(verbosity=0)
                Domain.objects.create(
                    domain=workspace_host(subdomain), tenant=workspace, is_primary=True
                )
                _build_target_schema(schema, manifest, current=current)
            verified, files = _load_and_verify(schema, manifest, root)
            if not current:
                _migrate_forward(schema)
            _end_restored_sessions(schema)
            _rebuild_member_directory(workspace)
    except Exception as error:
        Restore.objects.filter(pk=restore.pk).update(
            status=Restore.Status.FAILED, error=str(error)[:2000], finished_at=timezone.now()
        )
        raise
    Restore.objects.filter(pk=restore.pk).update(
        status=Restore.Status.DONE,
        target_workspace=workspace,
        finished_at=timezone.now(),
        tables=len(manifest.tables),
        rows=manifest.total_rows,
        files=files,
        verified=verified,
        seconds=time.perf_counter() - started,
    )
    restore.refresh_from_db()
    return restore


def restore_over_workspace(*, backup: Backup, requested_by: str, confirmed: bool) -> Restore:
    """Replace a workspace's data with `backup` (operators only, after confirming).

    A safety backup of the current state is made first. The backup is loaded into a new
    schema and checked; only then does the workspace row switch to it, in one short
    transaction, so requests see either the old data or the restored data, never a mix.
    The replaced schema is kept (named in the Restore row), not dropped.
    """
    _require_public_schema()
    if not confirmed:
        raise BackupRefusedError("restoring over a workspace needs explicit confirmation")
    started = time.perf_counter()
    workspace = backup.workspace
    restore = Restore.objects.create(
        backup=backup,
        mode=Restore.Mode.OVER,
        target_workspace=workspace,
        requested_by=requested_by,
    )
    try:
        with (
            _open_backup(backup) as archive_file,
            opened_archive(archive_file, expected_sha256=backup.sha256) as (manifest, root),
        ):
            current = _check_migrations(manifest)
            safety = request_backup(
                workspace=workspace,
                reason=Backup.Reason.SAFETY,
                requested_by_email=requested_by,
                run_in_background=False,
            )
            safety = make_backup(backup_id=str(safety.pk))
            schema = f"ws_{secrets.token_hex(6)}"
            with transaction.atomic():
                _build_target_schema(schema, manifest, current=current)
            verified, files = _load_and_verify(schema, manifest, root)
            if not current:
                _migrate_forward(schema)
            _end_restored_sessions(schema)
            if not verified:
                raise BackupRefusedError("the restored data did not match the backup")
            with transaction.atomic():
                replaced = Workspace.objects.select_for_update().get(pk=workspace.pk).schema_name
                Workspace.objects.filter(pk=workspace.pk).update(schema_name=schema)
            workspace.refresh_from_db()
            _rebuild_member_directory(workspace)
    except Exception as error:
        Restore.objects.filter(pk=restore.pk).update(
            status=Restore.Status.FAILED, error=str(error)[:2000], finished_at=timezone.now()
        )
        raise
    Restore.objects.filter(pk=restore.pk).update(
        status=Restore.Status.DONE,
        safety_backup=safety,
        replaced_schema=replaced,
        finished_at=timezone.now(),
        tables=len(manifest.tables),
        rows=manifest.total_rows,
        files=files,
        verified=verified,
        seconds=time.perf_counter() - started,
    )
    restore.refresh_from_db()
    return restore


def schema_is_present(schema: str) -> bool:
    """Whether a schema exists (used by commands and tests to report a restore's target)."""
    return bool(schema_exists(schema))
