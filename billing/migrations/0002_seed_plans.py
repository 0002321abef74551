"""Seed the default plans (operators change them in the console afterwards).

The values are a constant module (billing.defaults) that never imports models.
"""

from django.db import migrations

from billing.defaults import DEFAULT_PLANS as PLANS

def seed(apps, schema_editor):
    Plan = apps.get_model("billing", "Plan")
    for values in PLANS:
        Plan.objects.get_or_create(code=values["code"], defaults=values)


def unseed(apps, schema_editor):
    apps.get_model("billing", "Plan").objects.filter(
        code__in=[p["code"] for p in PLANS], subscriptions__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
