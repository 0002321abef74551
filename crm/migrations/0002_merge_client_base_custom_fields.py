# Joins the two first migrations of the crm app (client base and custom fields), which
# were written in parallel.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0001_client_base"),
        ("crm", "0001_custom_fields"),
    ]

    operations = []
