"""`make run`'s demo workspace: a Russian-language business, filled by the CRM's seeding."""

from io import StringIO

from django.apps import apps
from django.core.management import call_command, get_commands
from django_tenants.utils import schema_context

from tenants.members.models import User
from tenants.models import Workspace


def test_demo_workspace_is_a_russian_business_with_its_owner(platform):
    out = StringIO()

    call_command("create_demo_workspace", "--no-demo-data", stdout=out)

    demo = Workspace.objects.get(subdomain="demo")
    assert demo.name == "Ромашка"
    assert (demo.default_language, str(demo.default_country), demo.time_zone) == (
        "ru",
        "RU",
        "Europe/Moscow",
    )
    with schema_context(demo.schema_name):
        assert User.objects.get().full_name == "Анна Смирнова"
    assert "owner@demo.example.com / kartoteka-demo" in out.getvalue()


def test_demo_workspace_is_filled_with_clients_when_the_crm_can_seed(platform, monkeypatch):
    monkeypatch.setattr("onboarding.management.commands.create_demo_workspace.DEMO_CONTACTS", 6)
    monkeypatch.setattr("onboarding.management.commands.create_demo_workspace.DEMO_COMPANIES", 2)
    monkeypatch.setattr(
        "onboarding.management.commands.create_demo_workspace.DEMO_MORE",
        {"deals": 3, "activities": 10, "tasks": 4},
    )
    out = StringIO()

    call_command("create_demo_workspace", stdout=out)

    demo = Workspace.objects.get(subdomain="demo")
    if "seed_crm" not in get_commands():
        assert "the demo workspace is empty" in out.getvalue()
        return
    with schema_context(demo.schema_name):
        assert apps.get_model("crm", "Contact").objects.count() >= 6
        assert apps.get_model("crm", "Company").objects.count() >= 2
        # The daily work too: deals on the board, entries on the cards, the owner's tasks.
        assert apps.get_model("crm", "Deal").objects.count() == 3
        assert apps.get_model("crm", "Activity").objects.count() == 10
        owner = User.objects.get()
        assert apps.get_model("crm", "Task").objects.filter(assignee=owner).count() == 4


def test_demo_workspace_command_is_idempotent(platform):
    call_command("create_demo_workspace", "--no-demo-data", stdout=StringIO())
    call_command("create_demo_workspace", stdout=StringIO())

    assert Workspace.objects.filter(subdomain="demo").count() == 1
