"""seed_crm --tasks: tasks the product reads like its own, in every bucket of "my tasks"."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from crm.models import Task
from crm.selectors import tasks as selectors
from tenants.members.models import User

pytestmark = pytest.mark.django_db


def test_seed_crm_adds_tasks_for_the_managers(in_workspace, owner):
    output = StringIO()
    connection.set_schema_to_public()
    call_command(
        "seed_crm",
        "--workspace",
        in_workspace.workspace.subdomain,
        "--contacts",
        "30",
        "--companies",
        "5",
        "--tasks",
        "300",
        "--seed",
        "5",
        "--json",
        stdout=output,
    )
    connection.set_tenant(in_workspace.workspace)
    assert json.loads(output.getvalue())["tasks"] == 300
    assert Task.objects.count() == 300
    assert Task.objects.filter(contact__isnull=False).exists()
    assert set(Task.objects.values_list("status", flat=True)) == {"open", "done", "skipped"}
    busiest = Task.objects.values_list("assignee_id", flat=True).first()
    buckets = selectors.my_tasks(User.objects.get(pk=busiest))
    assert buckets.overdue
    assert buckets.upcoming
    # New tasks still get their ids from the sequence the seed advanced.
    made = Task.objects.create(
        title="После сида",
        due_at=Task.objects.first().due_at,
        due_date=Task.objects.first().due_date,
        assignee_id=busiest,
    )
    assert made.pk > max(Task.objects.exclude(pk=made.pk).values_list("pk", flat=True))
