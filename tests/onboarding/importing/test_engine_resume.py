"""A worker killed with SIGKILL in the middle of an import: resuming loses and repeats nothing.

The run happens in a real subprocess against the test database (so the test commits:
transactional_db, and the workspace schema is dropped afterwards). The subprocess
imports in chunks of 50 rows and pauses after each commit; the test kills it with
SIGKILL once a few chunks are in, then resumes the job in-process, as the re-delivered
task (acks_late) or the "resume stale imports" beat job would.
"""

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from django.conf import settings
from django.db import connection
from django_tenants.utils import tenant_context

from crm.models import Contact, Email
from onboarding.importing import actions, engine
from onboarding.importing.models import ImportedRecord, ImportJob, ImportStatus
from tenants.members.models import User
from tests.onboarding.importing.engine_helpers import csv_bytes, map_by_header, upload
from tests.onboarding.schema_cleanup import drop_new_workspace_schemas_fixture  # noqa: F401

ROWS = 420
CHUNK = 50

WORKER = textwrap.dedent(
    """
    import sys, time
    import django
    django.setup()
    from django_tenants.utils import tenant_context
    from tenants.models import Workspace
    from onboarding.importing import engine

    engine.CHUNK_ROWS = int(sys.argv[3])

    def pause(job):
        print(job.rows_done, flush=True)
        time.sleep(0.4)

    with tenant_context(Workspace.objects.get(schema_name=sys.argv[1])):
        engine.run_import(int(sys.argv[2]), after_chunk=pause)
    print("finished", flush=True)
    """
)


def _database_url() -> str:
    database = connection.settings_dict
    user = database["USER"] or "postgres"
    password = f":{database['PASSWORD']}" if database["PASSWORD"] else ""
    host = f"{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}"
    return f"postgres://{user}{password}@{host}/{database['NAME']}"


def test_killed_worker_resumes_without_losing_or_repeating_rows(
    drop_new_workspace_schemas, workspace, django_capture_on_commit_callbacks
):
    with tenant_context(workspace.workspace):
        owner = User.objects.get(pk=workspace.owner.pk)
        Contact.objects.create(first_name="Был", surname="Раньше")
        rows = [[f"Фамилия{n}", "Имя", f"person{n}@example.com"] for n in range(ROWS)]
        job = upload(owner, csv_bytes(["Фамилия", "Имя", "Email"], rows))
        job = map_by_header(
            owner, job, {"Фамилия": "surname", "Имя": "first_name", "Email": "email"}
        )
        with django_capture_on_commit_callbacks(execute=True):
            actions.check_import(owner, job)
        job.refresh_from_db()
        actions.set_import_options(owner, job, on_duplicate="update", only_valid=True)
        ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.QUEUED)
        schema = workspace.workspace.schema_name

    environment = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "DJANGO_SETTINGS_MODULE": "saas_platform.settings_test",
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
    }
    worker = subprocess.Popen(
        [sys.executable, "-c", WORKER, schema, str(job.pk), str(CHUNK)],
        cwd=Path(settings.BASE_DIR),
        env=environment,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert worker.stdout is not None
    committed = [int(worker.stdout.readline()) for _ in range(3)]
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=30)
    assert committed == [CHUNK, 2 * CHUNK, 3 * CHUNK]

    with tenant_context(workspace.workspace):
        killed = ImportJob.objects.get(pk=job.pk)
        assert killed.status == ImportStatus.RUNNING
        assert killed.rows_done % CHUNK == 0
        assert 3 * CHUNK <= killed.rows_done < ROWS
        assert Contact.objects.count() == 1 + killed.rows_done

        resumed = engine.run_import(job.pk)

        assert resumed.status == ImportStatus.DONE
        assert (resumed.rows_done, resumed.created_count, resumed.updated_count) == (ROWS, ROWS, 0)
        assert Contact.objects.count() == ROWS + 1
        assert Email.objects.values("address_casefold").distinct().count() == ROWS
        assert ImportedRecord.objects.filter(job_id=job.pk).count() == ROWS
        assert set(Contact.objects.values_list("surname", flat=True)) == {
            "Раньше",
            *(f"Фамилия{n}" for n in range(ROWS)),
        }
        # Running it once more (a redelivered message) changes nothing.
        ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.RUNNING)
        engine.run_import(job.pk)
        assert Contact.objects.count() == ROWS + 1
