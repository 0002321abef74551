"""seed_crm: realistic data that the product's own rules accept, printed as JSON."""

import json
from io import StringIO

import phonenumbers
import pytest
from django.core.management import call_command
from django.db import connection

from crm import normalize, seeding
from crm.models import Company, Contact, CustomField, Phone
from crm.selectors.search import search_clients

pytestmark = pytest.mark.django_db


def _indexes() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() "
            "AND tablename LIKE 'crm_%'"
        )
        return {row[0] for row in cursor.fetchall()}


def test_seed_crm_makes_valid_realistic_records_and_prints_json(in_workspace, owner, monkeypatch):
    monkeypatch.setattr(seeding, "REBUILD_INDEXES_FROM", 1)  # exercise the rebuild too
    indexes_before = _indexes()
    output = StringIO()

    connection.set_schema_to_public()
    call_command(
        "seed_crm",
        "--workspace",
        in_workspace.workspace.subdomain,
        "--contacts",
        "60",
        "--companies",
        "15",
        "--seed",
        "3",
        "--json",
        stdout=output,
    )
    connection.set_tenant(in_workspace.workspace)

    made = json.loads(output.getvalue())
    assert (made["contacts"], made["companies"]) == (60, 15)
    assert made["custom_fields"] == 12
    assert made["seconds"] >= 0
    assert Contact.objects.count() == 60
    assert CustomField.objects.filter(entity="contact").count() == 10
    indexes_after = _indexes()
    assert indexes_before <= indexes_after, "indexes are rebuilt with their own names"
    added = indexes_after - indexes_before
    assert added, "two seeded custom fields are indexed"
    assert all(name.startswith("crm_contact_cf_") for name in added)
    for company in Company.objects.all():
        assert normalize.tax_number_kind(company.tax_number) is not None, company.tax_number
    for phone in Phone.objects.all()[:50]:
        assert phonenumbers.is_valid_number(phonenumbers.parse(phone.e164)), phone.e164
        assert normalize.parse_phone(phone.raw, default_country="RU") == phone.e164
    contact = Contact.objects.exclude(patronymic="").first()
    assert contact is not None
    found = search_clients(owner, f"{contact.surname} {contact.first_name}")
    assert contact.pk in [hit.record.pk for hit in found]
    sample = Phone.objects.filter(contact__isnull=False).first()
    assert sample is not None
    suffix_hits = search_clients(owner, sample.e164[-4:])
    assert sample.contact_id in [hit.record.pk for hit in suffix_hits]


def test_seed_crm_refuses_an_unknown_workspace(platform):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("seed_crm", "--workspace", "nope", "--contacts", "1")
