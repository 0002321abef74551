"""seed_crm --activities: a timeline the product's own rules read back."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count, Max

from crm import seeding
from crm.actions.timeline import counts_as_contact
from crm.models import Activity, Contact
from crm.selectors.timeline import timeline_page

pytestmark = pytest.mark.django_db


def test_seed_activities_with_a_busiest_client_and_last_contact(in_workspace, owner, monkeypatch):
    monkeypatch.setattr(seeding, "REBUILD_INDEXES_FROM", 1)  # exercise the rebuild too
    output = StringIO()

    connection.set_schema_to_public()
    call_command(
        "seed_crm",
        "--workspace",
        in_workspace.workspace.subdomain,
        "--contacts",
        "40",
        "--companies",
        "10",
        "--activities",
        "600",
        "--seed",
        "5",
        "--json",
        stdout=output,
    )
    connection.set_tenant(in_workspace.workspace)

    assert json.loads(output.getvalue())["activities"] == 600
    per_contact = list(
        Activity.objects.filter(contact__isnull=False)
        .values("contact_id")
        .annotate(entries=Count("id"))
        .order_by("-entries")
    )
    assert per_contact[0]["entries"] >= 60, "one very busy client"
    assert set(Activity.objects.values_list("kind", flat=True)) >= {"call", "email", "note"}
    assert Activity.objects.exclude(search_text="").count() > 300
    busiest = Contact.objects.get(pk=per_contact[0]["contact_id"])
    latest = Activity.objects.filter(
        counts_as_contact(), contact=busiest, occurred_at__lte=busiest.last_contact_at
    ).aggregate(at=Max("occurred_at"))["at"]
    assert busiest.last_contact_at is not None
    assert busiest.last_contact_at == latest
    assert len(timeline_page(owner, "contact", busiest).entries) == 30
