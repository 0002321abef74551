"""Backups of a workspace and restores from them, against real PostgreSQL and real files.

These tests commit (the backup reads through its own connection, as in production),
so they use `drop_new_workspace_schemas` to remove the schemas they create.
"""

import json
import threading
from io import StringIO

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError
from django_tenants.utils import schema_context
from psycopg import sql

from tenants.backups import actions
from tenants.backups.engine import BackupRefusedError
from tenants.backups.models import Backup, Restore
from tenants.backups.snapshot import own_connection
from tenants.members import actions as member_actions
from tenants.members.models import AuditEntry, User
from tenants.models import MemberDirectoryEntry, Workspace
from tests.onboarding.schema_cleanup import drop_new_workspace_schemas_fixture  # noqa: F401

pytestmark = pytest.mark.usefixtures("drop_new_workspace_schemas", "isolated_backup_storage")


@pytest.fixture
def isolated_backup_storage(settings, tmp_path):
    settings.BACKUP_ROOT = tmp_path / "backups"
    settings.BACKUP_STAGING_DIR = tmp_path / "staging"
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "backups": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "backups")},
        },
    }
    # Django's setting_changed handler rebuilds the storages from these settings.


def _table_contents(schema: str) -> dict[str, list[tuple]]:
    """Every row of every table of `schema`, sorted, for comparing two schemas."""
    contents: dict[str, list[tuple]] = {}
    with own_connection(autocommit=True) as raw, raw.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relkind = 'r'",
            [schema],
        )
        for (table,) in cursor.fetchall():
            cursor.execute(sql.SQL("SELECT * FROM {}").format(sql.Identifier(schema, table)))
            contents[table] = sorted(cursor.fetchall(), key=repr)
    return contents


def _populate(workspace: Workspace, owner: User) -> None:
    with schema_context(workspace.schema_name):
        invitation_email = "maria@example.com"
        member_actions.invite_member(acting_user=owner, email=invitation_email, role="member")
        default_storage.save("documents/contract.pdf", ContentFile(b"%PDF-1.4 contract " * 100))
        default_storage.save("photo.jpg", ContentFile(bytes(range(256)) * 40))


def _populate_client_base(workspace: Workspace, owner: User) -> dict[str, int]:
    """Every kind of daily-work data: clients with custom fields, consents and history (the
    seeding steps), a pipeline with a deal and its stage change, timeline entries (one
    with a file in the default storage, one edited), a task, a recurring task and a
    notification. Rows are made directly where no seed step exists yet."""
    from datetime import timedelta

    from django.utils import timezone

    from crm.models import Contact
    from crm.models.deals import Deal, DealStageChange, Pipeline, Stage
    from crm.models.tasks import Notification, Task, TaskSeries
    from crm.models.timeline import Activity, ActivityVersion
    from crm.seeding import seed_workspace

    with schema_context(workspace.schema_name):
        seed_workspace(contacts=40, companies=8, seed=11, acting_user=owner)
        contact = Contact.objects.order_by("pk").first()
        assert contact is not None
        now = timezone.now()
        pipeline = Pipeline.objects.create(name="Sales")
        first = Stage.objects.create(pipeline=pipeline, name="New")
        second = Stage.objects.create(pipeline=pipeline, name="Proposal")
        deal = Deal.objects.create(
            title="Annual contract",
            contact=contact,
            amount="1200.00",
            pipeline=pipeline,
            stage=second,
            stage_entered_at=now,
            responsible=owner,
            created_by=owner,
        )
        DealStageChange.objects.create(
            deal=deal, from_stage=first, to_stage=second, at=now, actor=owner
        )
        document = Activity(
            kind="document",
            contact=contact,
            deal=deal,
            occurred_at=now - timedelta(days=1),
            subject="Signed contract",
            author=owner,
            file_name="contract.pdf",
            file_size=2000,
            file_type="application/pdf",
        )
        document.file.save("contract.pdf", ContentFile(b"%PDF-1.4 signed " * 125), save=True)
        call = Activity.objects.create(
            kind="call",
            contact=contact,
            occurred_at=now,
            direction="incoming",
            duration_seconds=95,
            text="Asked about the invoice",
            author=owner,
        )
        ActivityVersion.objects.create(
            activity=call, snapshot={"text": "Asked"}, edited_by=owner, edited_at=now
        )
        task = Task.objects.create(
            title="Call back",
            due_at=now + timedelta(days=1),
            due_date=(now + timedelta(days=1)).date(),
            assignee=owner,
            contact=contact,
            deal=deal,
        )
        TaskSeries.objects.create(
            title="Monthly check-in",
            assignee=owner,
            contact=contact,
            frequency="monthly",
            month_day=5,
            starts_on=now.date(),
            time_zone="Europe/Kyiv",
        )
        Notification.objects.create(
            recipient=owner, kind="task_due", key=f"task:{task.pk}", task=task, text="Call back"
        )
        return {"file_bytes": document.file.size, "contacts": Contact.objects.count()}


def _files_of(schema: str) -> dict[str, bytes]:
    from tenants.backups.engine import _workspace_files

    with schema_context(schema):
        return {name: default_storage.open(name, "rb").read() for name in _workspace_files(schema)}


def _backup(workspace: Workspace) -> Backup:
    backup = actions.request_backup(
        workspace=workspace, reason=Backup.Reason.OPERATOR, run_in_background=False
    )
    return actions.make_backup(backup_id=str(backup.pk))


def test_restore_into_a_new_workspace_gives_identical_tables_and_files(make_workspace):
    source = make_workspace("source")
    _populate(source.workspace, source.owner)

    backup = _backup(source.workspace)
    restore = actions.restore_into_new_workspace(
        backup=backup, subdomain="source-copy", requested_by="operator@example.com"
    )

    copy = Workspace.objects.get(subdomain="source-copy")
    assert restore.verified is True
    assert copy.schema_name != source.workspace.schema_name
    original = _table_contents(source.workspace.schema_name)
    restored = _table_contents(copy.schema_name)
    original.pop("django_session")
    assert restored.pop("django_session") == []
    assert restored == original
    assert restore.files == 2
    with schema_context(copy.schema_name):
        assert default_storage.open("documents/contract.pdf").read() == b"%PDF-1.4 contract " * 100
        assert default_storage.open("photo.jpg").read() == bytes(range(256)) * 40
    assert MemberDirectoryEntry.objects.filter(workspace=copy).count() == 1


def test_round_trip_of_the_client_base_and_daily_work_is_identical(make_workspace):
    source = make_workspace("daily")
    _populate(source.workspace, source.owner)
    seeded = _populate_client_base(source.workspace, source.owner)

    backup = _backup(source.workspace)
    restore = actions.restore_into_new_workspace(
        backup=backup, subdomain="daily-copy", requested_by="operator@example.com"
    )

    copy = Workspace.objects.get(subdomain="daily-copy")
    assert restore.verified is True
    original = _table_contents(source.workspace.schema_name)
    restored = _table_contents(copy.schema_name)
    original.pop("django_session")
    restored.pop("django_session")
    # Table by table, so a difference names its table.
    assert sorted(restored) == sorted(original)
    for table in (
        "crm_contact",
        "crm_company",
        "crm_activity",
        "crm_activityversion",
        "crm_deal",
        "crm_dealstagechange",
        "crm_task",
        "crm_notification",
        "crm_customfield",
    ):
        assert original[table], f"{table} was not seeded"
    for table in sorted(original):
        assert restored[table] == original[table], table
    # File by file: the timeline's document and the earlier files, byte for byte.
    original_files = _files_of(source.workspace.schema_name)
    restored_files = _files_of(copy.schema_name)
    assert restored_files == original_files
    assert any(
        name.endswith(".pdf") and name != "documents/contract.pdf" for name in original_files
    )
    assert restore.files == len(original_files) == 3
    assert seeded["contacts"] == 40
    with schema_context(copy.schema_name):
        from crm.models.timeline import Activity

        document = Activity.objects.get(kind="document")
        assert document.file.read() == b"%PDF-1.4 signed " * 125
        assert document.contact is not None
        assert document.deal is not None


def test_restored_members_can_log_in_with_their_passwords(make_workspace, client):
    source = make_workspace("login-src")
    backup = _backup(source.workspace)
    actions.restore_into_new_workspace(backup=backup, subdomain="login-copy", requested_by="op")

    copy = Workspace.objects.get(subdomain="login-copy")
    with schema_context(copy.schema_name):
        owner = User.objects.get(email=source.owner.email)
        assert owner.check_password("correct-horse-battery-staple")


def test_backup_taken_while_people_write_is_consistent(make_workspace):
    workspace = make_workspace("busy").workspace
    stop = threading.Event()
    written: list[int] = []

    def keep_writing() -> None:
        from django.db import connection, transaction

        try:
            with schema_context(workspace.schema_name):
                number = 0
                while not stop.is_set():
                    with transaction.atomic():
                        member = User.objects.create(
                            email=f"writer{number}@example.com", full_name="Writer", role="member"
                        )
                        AuditEntry.objects.create(
                            actor=member, action=AuditEntry.Action.MEMBER_JOINED, target="w"
                        )
                    written.append(number)
                    number += 1
        finally:
            connection.close()

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        while len(written) < 20:
            threading.Event().wait(0.01)
        backup = _backup(workspace)
    finally:
        stop.set()
        writer.join()

    restore = actions.restore_into_new_workspace(
        backup=backup, subdomain="busy-copy", requested_by="op"
    )
    copy = Workspace.objects.get(subdomain="busy-copy")
    with schema_context(copy.schema_name):
        writers = User.objects.filter(email__startswith="writer").count()
        their_entries = AuditEntry.objects.filter(actor__email__startswith="writer").count()
    assert restore.verified
    assert writers > 0
    assert writers == their_entries


def test_timeline_written_during_a_backup_never_loses_its_contact(make_workspace):
    """Each write makes a contact and a call on its timeline in one transaction; the
    backup, taken meanwhile, holds both or neither of every pair."""
    from django.utils import timezone

    from crm.models import Contact
    from crm.models.timeline import Activity

    workspace = make_workspace("busytimeline").workspace
    stop = threading.Event()
    written: list[int] = []

    def keep_writing() -> None:
        from django.db import connection, transaction

        try:
            with schema_context(workspace.schema_name):
                number = 0
                while not stop.is_set():
                    with transaction.atomic():
                        contact = Contact.objects.create(
                            first_name=f"Caller{number}", surname="Busy"
                        )
                        Activity.objects.create(
                            kind="call",
                            contact=contact,
                            occurred_at=timezone.now(),
                            direction="incoming",
                            subject=f"call {number}",
                        )
                    written.append(number)
                    number += 1
        finally:
            connection.close()

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        while len(written) < 20 and writer.is_alive():
            threading.Event().wait(0.01)
        assert writer.is_alive(), "the writer stopped"
        backup = _backup(workspace)
    finally:
        stop.set()
        writer.join()

    restore = actions.restore_into_new_workspace(
        backup=backup, subdomain="busytimeline-copy", requested_by="op"
    )
    copy = Workspace.objects.get(subdomain="busytimeline-copy")
    with schema_context(copy.schema_name):
        contacts = Contact.objects.filter(surname="Busy").count()
        calls = Activity.objects.filter(kind="call").count()
        orphans = Activity.objects.filter(kind="call", contact__isnull=True).count()
    assert restore.verified
    assert contacts > 0
    assert calls == contacts
    assert orphans == 0


def test_a_modified_archive_is_refused_and_nothing_is_created(make_workspace):
    source = make_workspace("tamper")
    backup = _backup(source.workspace)
    storage = actions.backup_storage()
    path = storage.path(backup.storage_name)
    with open(path, "r+b") as archive:
        archive.seek(backup.bytes // 2)
        byte = archive.read(1)
        archive.seek(backup.bytes // 2)
        archive.write(bytes([byte[0] ^ 0xFF]))

    with pytest.raises(BackupRefusedError):
        actions.restore_into_new_workspace(
            backup=backup, subdomain="tamper-copy", requested_by="op"
        )

    assert not Workspace.objects.filter(subdomain="tamper-copy").exists()
    assert Restore.objects.get(backup=backup).status == Restore.Status.FAILED


def test_a_truncated_archive_is_refused_even_with_a_matching_checksum(make_workspace):
    source = make_workspace("cut")
    backup = _backup(source.workspace)
    storage = actions.backup_storage()
    path = storage.path(backup.storage_name)
    with open(path, "r+b") as archive:
        archive.truncate(backup.bytes - 100)
    # The checksum alone would catch this; forget it to prove the archive itself refuses.
    Backup.objects.filter(pk=backup.pk).update(sha256="")
    backup.refresh_from_db()

    with pytest.raises(BackupRefusedError, match=r"cut short|modified|damaged"):
        actions.restore_into_new_workspace(backup=backup, subdomain="cut-copy", requested_by="op")
    assert not Workspace.objects.filter(subdomain="cut-copy").exists()


def test_a_backup_from_newer_code_is_refused(make_workspace, monkeypatch):
    source = make_workspace("newer")
    backup = _backup(source.workspace)
    everything = actions._template_migrations()
    # This code knows one migration fewer than the one that made the backup.
    monkeypatch.setattr(actions, "_template_migrations", lambda: set(sorted(everything)[1:]))

    with pytest.raises(BackupRefusedError, match="newer version"):
        actions.restore_into_new_workspace(backup=backup, subdomain="newer-copy", requested_by="op")
    assert not Workspace.objects.filter(subdomain="newer-copy").exists()


def test_restore_over_a_workspace_takes_a_safety_backup_and_keeps_the_old_schema(make_workspace):
    created = make_workspace("over")
    workspace = created.workspace
    backup = _backup(workspace)
    with schema_context(workspace.schema_name):
        User.objects.create(email="later@example.com", full_name="Later", role="member")
    old_schema = workspace.schema_name

    restore = actions.restore_over_workspace(backup=backup, requested_by="op", confirmed=True)

    workspace.refresh_from_db()
    assert restore.verified
    assert workspace.schema_name != old_schema
    assert restore.replaced_schema == old_schema
    with schema_context(workspace.schema_name):
        assert not User.objects.filter(email="later@example.com").exists()
    with schema_context(old_schema):
        assert User.objects.filter(email="later@example.com").exists()
    safety = restore.safety_backup
    assert safety.reason == Backup.Reason.SAFETY
    assert safety.status == Backup.Status.DONE


def test_restore_over_needs_confirmation(make_workspace):
    created = make_workspace("unconfirmed")
    backup = _backup(created.workspace)
    with pytest.raises(BackupRefusedError, match="confirmation"):
        actions.restore_over_workspace(backup=backup, requested_by="op", confirmed=False)


def test_expired_backups_lose_their_archive_but_keep_their_row(make_workspace):
    created = make_workspace("old")
    backup = _backup(created.workspace)
    storage = actions.backup_storage()
    assert storage.exists(backup.storage_name)
    name = backup.storage_name

    removed = actions.expire_backups(now=backup.expires_at)

    backup.refresh_from_db()
    assert removed == 1
    assert backup.status == Backup.Status.EXPIRED
    assert not storage.exists(name)


def test_archive_is_encrypted_at_rest(make_workspace):
    created = make_workspace("secret")
    backup = _backup(created.workspace)
    raw = actions.backup_storage().open(backup.storage_name, "rb").read()
    assert created.owner.email.encode() not in raw
    assert b"manifest.json" not in raw


def test_commands_back_up_and_restore_with_json(make_workspace):
    created = make_workspace("cmd")
    out = StringIO()
    call_command("backup_workspace", "cmd", "--json", stdout=out)
    made = json.loads(out.getvalue())
    assert made["bytes"] > 0
    assert made["rows"] > 0
    assert made["seconds"] >= 0

    out = StringIO()
    call_command("restore_workspace", made["backup_id"], "--into", "cmd-copy", "--json", stdout=out)
    restored = json.loads(out.getvalue())
    assert restored["verified"] is True
    assert restored["workspace"] == "cmd-copy"
    assert restored["tables"] == made["tables"]
    assert restored["rows"] == made["rows"]
    assert restored["files"] == 0

    with pytest.raises(CommandError, match="--yes"):
        call_command("restore_workspace", made["backup_id"], "--over", "cmd")
    with pytest.raises(CommandError, match="its own workspace"):
        call_command("restore_workspace", made["backup_id"], "--over", "cmd-copy", "--yes")
    assert created.workspace.subdomain == "cmd"


def _logged_in_client(workspace: Workspace, user: User):  # type: ignore[no-untyped-def]
    from django.test import Client

    client = Client(HTTP_HOST=workspace.domains.get().domain)
    with schema_context(workspace.schema_name):
        client.force_login(user)
    return client


def test_admin_downloads_a_backup_and_the_download_is_recorded(make_workspace):
    import gzip
    import tarfile
    from io import BytesIO

    created = make_workspace("dlowner")
    backup = _backup(created.workspace)
    client = _logged_in_client(created.workspace, created.owner)

    page = client.get("/settings/backups/")
    assert page.status_code == 200
    link = next(
        part.split('"')[0]
        for part in page.content.decode().split('href="')
        if part.startswith("/settings/backups/download/")
    )
    response = client.get(link)

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="kartoteka-dlowner-')
    assert response["X-Content-Type-Options"] == "nosniff"
    body = b"".join(response.streaming_content)
    with tarfile.open(fileobj=BytesIO(body), mode="r:gz") as archive:
        names = archive.getnames()
    assert "manifest.json" in names
    assert "tables/members_user.copy" in names
    assert gzip.decompress(body)
    assert backup.downloads.get().email == created.owner.email


def test_member_cannot_list_or_download_backups(make_workspace):
    from tenants.backups.links import make_download_token

    created = make_workspace("dlmember")
    backup = _backup(created.workspace)
    with schema_context(created.workspace.schema_name):
        member = User.objects.create(email="m@example.com", full_name="M", role="member")
    client = _logged_in_client(created.workspace, member)
    token = make_download_token(
        backup_id=str(backup.pk), member_id=member.pk, schema_name=created.workspace.schema_name
    )

    assert client.get("/settings/backups/").status_code == 403
    assert client.get(f"/settings/backups/download/{token}/").status_code == 403
    assert not backup.downloads.exists()


def test_another_workspaces_admin_cannot_use_our_download_link(make_workspace):
    ours = make_workspace("ours")
    theirs = make_workspace("theirs")
    backup = _backup(ours.workspace)
    from tenants.backups.links import make_download_token

    our_link_token = make_download_token(
        backup_id=str(backup.pk), member_id=ours.owner.pk, schema_name=ours.workspace.schema_name
    )
    # Both owners are member 1 of their workspace: only the schema tells them apart.
    assert ours.owner.pk == theirs.owner.pk
    their_client = _logged_in_client(theirs.workspace, theirs.owner)

    response = their_client.get(f"/settings/backups/download/{our_link_token}/")

    assert response.status_code == 404
    assert not backup.downloads.exists()


def test_an_expired_download_link_is_refused(make_workspace, settings):
    import time as clock

    from tenants.backups.links import make_download_token

    created = make_workspace("expired")
    backup = _backup(created.workspace)
    token = make_download_token(
        backup_id=str(backup.pk),
        member_id=created.owner.pk,
        schema_name=created.workspace.schema_name,
    )
    settings.BACKUP_DOWNLOAD_LINK_SECONDS = 1
    clock.sleep(2.1)
    client = _logged_in_client(created.workspace, created.owner)

    assert client.get(f"/settings/backups/download/{token}/").status_code == 404


def test_backups_stored_in_s3_compatible_storage_restore_and_download(
    make_workspace, settings, monkeypatch
):
    """The "backups" storage pointed at S3 (django-storages; moto plays the bucket here)."""
    moto = pytest.importorskip("moto")
    import boto3

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "testing")
    with moto.mock_aws():
        boto3.client("s3", region_name="eu-central-1").create_bucket(
            Bucket="kartoteka-backups",
            CreateBucketConfiguration={"LocationConstraint": "eu-central-1"},
        )
        settings.STORAGES = {
            **settings.STORAGES,
            "backups": {
                "BACKEND": "storages.backends.s3.S3Storage",
                "OPTIONS": {
                    "bucket_name": "kartoteka-backups",
                    "region_name": "eu-central-1",
                    "location": "backups",
                    "default_acl": "private",
                    "file_overwrite": False,
                },
            },
        }
        source = make_workspace("s3source")
        _populate(source.workspace, source.owner)

        backup = _backup(source.workspace)

        listed = boto3.client("s3", region_name="eu-central-1").list_objects_v2(
            Bucket="kartoteka-backups"
        )
        keys = [item["Key"] for item in listed.get("Contents", [])]
        assert keys == [f"backups/{backup.storage_name}"]
        raw = actions.backup_storage().open(backup.storage_name, "rb").read()
        assert backup.bytes == len(raw)
        assert b"manifest.json" not in raw  # encrypted at rest there too
        restore = actions.restore_into_new_workspace(
            backup=backup, subdomain="s3source-copy", requested_by="operator@example.com"
        )
        assert restore.verified is True
        assert restore.files == 2
