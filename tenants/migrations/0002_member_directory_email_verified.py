"""The member directory remembers whether each address is confirmed (find-my-workspace lists
only confirmed ones). Existing rows are filled from each workspace's allauth addresses."""

from django.db import migrations, models
from psycopg import sql


def fill_from_workspace_addresses(apps, schema_editor):  # type: ignore[no-untyped-def]
    Workspace = apps.get_model("tenants", "Workspace")
    MemberDirectoryEntry = apps.get_model("tenants", "MemberDirectoryEntry")
    connection = schema_editor.connection
    for workspace in Workspace.objects.filter(kind="customer").only("pk", "schema_name"):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT 1 FROM information_schema.tables "
                "WHERE table_schema = %s AND table_name = 'account_emailaddress'",
                [workspace.schema_name],
            )
            if cursor.fetchone() is None:
                continue
            # Schema names are generated (ws_<hex>), never input; quoted as identifiers anyway.
            cursor.execute(
                sql.SQL(
                    "SELECT user_id FROM {}.account_emailaddress WHERE verified AND \"primary\""
                ).format(sql.Identifier(workspace.schema_name))
            )
            verified_user_ids = [user_id for (user_id,) in cursor.fetchall()]
        MemberDirectoryEntry.objects.filter(
            workspace_id=workspace.pk, user_id__in=verified_user_ids
        ).update(email_verified=True)


class Migration(migrations.Migration):
    dependencies = [
        ("tenants", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="memberdirectoryentry",
            name="email_verified",
            field=models.BooleanField(default=False),
        ),
        migrations.RunPython(fill_from_workspace_addresses, migrations.RunPython.noop),
    ]
