"""Paid backups end to end: ordering, Stripe's confirmation, retries, refunds, schedules.

The real stripe SDK talks to the Stripe test double over HTTP; its webhooks, signed as
Stripe signs them, go through the real endpoint and the Celery task (eager), which makes
the real backup through its own database connection. So these tests commit
(`drop_new_workspace_schemas` removes the schemas they make).
"""

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from django_tenants.utils import schema_context

from billing import backup_actions
from billing.models import BackupOrder, BackupSchedule, Plan, StripeEvent, SubscriptionStatus
from tenants.backups import actions as backup_engine_actions
from tenants.backups.models import Backup
from tenants.members.models import AuditEntry
from tenants.models import WorkspaceStatus
from tests.billing.conftest import admin_client, post_webhook, subscription
from tests.billing.test_subscription_flows import subscribe
from tests.conftest import add_member, host_of
from tests.onboarding.schema_cleanup import drop_new_workspace_schemas_fixture  # noqa: F401

pytestmark = pytest.mark.usefixtures("drop_new_workspace_schemas", "isolated_backup_storage")

ORDER_URL = "/settings/backups/order/"


@pytest.fixture
def isolated_backup_storage(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.BACKUP_STAGING_DIR = tmp_path / "staging"
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "backups": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "backups")},
        },
    }


@pytest.fixture
def no_retry_wait(monkeypatch):  # type: ignore[no-untyped-def]
    from tenants.backups import tasks

    monkeypatch.setattr(tasks, "BACKUP_RETRY_BASE_SECONDS", 0)


def _order(client, method: str, key: str = "attempt-1"):  # type: ignore[no-untyped-def]
    return client.post(ORDER_URL, {"payment_method": method, "attempt_key": key})


def _checkout_order(new, double):  # type: ignore[no-untyped-def]
    client = admin_client(new)
    response = _order(client, "checkout")
    assert response.status_code == 302, response.content.decode()[:300]
    assert response["Location"].startswith(double.url)
    order = BackupOrder.objects.get(workspace=new.workspace)
    return client, order


def _deliver_kept(hooks) -> list[int]:  # type: ignore[no-untyped-def]
    return [post_webhook(hook.payload, hook.signature).status_code for hook in hooks]


def test_backups_page_shows_the_price_and_retention_of_the_plan(make_workspace, stripe_settings):
    new = make_workspace("price")
    plan = subscription(new).plan
    Plan.objects.filter(pk=plan.pk).update(backup_price="12.50", backup_retention_days=30)

    page = admin_client(new).get("/settings/backups/").content.decode()

    assert "One backup costs 12.50 USD. It is kept for 30 days." in page
    # A trialing workspace pays now: the next-invoice choice is not offered.
    assert 'value="checkout"' in page
    assert 'value="invoice"' not in page


def test_checkout_backup_starts_only_when_stripe_confirms_the_payment(
    make_workspace, stripe_settings
):
    double = stripe_settings
    new = make_workspace("paid")
    client, order = _checkout_order(new, double)

    assert order.status == BackupOrder.Status.AWAITING_PAYMENT
    assert order.amount == subscription(new).plan.backup_price
    assert not Backup.objects.filter(workspace=new.workspace).exists()

    double.complete_checkout(order.payment_reference)
    # Paid on Stripe's page, but the webhook has not arrived: nothing starts yet.
    assert not Backup.objects.filter(workspace=new.workspace).exists()
    waiting = client.get("/settings/backups/paid/", {"session_id": order.payment_reference})
    assert "Waiting for Stripe to confirm the payment" in waiting.content.decode()

    hooks = double.take_webhooks()
    assert all(status == 200 for status in _deliver_kept(hooks))

    order.refresh_from_db()
    backup = Backup.objects.get(workspace=new.workspace)
    assert order.status == BackupOrder.Status.PAID
    assert order.backup == backup
    assert order.stripe_payment_intent_id.startswith("pi_")
    assert backup.reason == Backup.Reason.ORDERED
    assert backup.status == Backup.Status.DONE
    assert backup.requested_by_email == new.owner.email
    ready = [m for m in mail.outbox if m.to == [new.owner.email] and "ready" in m.subject]
    assert len(ready) == 1
    assert "/settings/backups/" in ready[0].body
    done = client.get("/settings/backups/paid/", {"session_id": order.payment_reference})
    assert done.status_code == 302
    with schema_context(new.workspace.schema_name):
        assert AuditEntry.objects.filter(action=AuditEntry.Action.BACKUP_ORDERED).count() == 1


def test_the_same_payment_event_many_times_starts_one_backup(make_workspace, stripe_settings):
    double = stripe_settings
    new = make_workspace("dupes")
    _client, order = _checkout_order(new, double)
    double.complete_checkout(order.payment_reference)
    hooks = [
        hook
        for hook in double.take_webhooks()
        if hook.event["type"] == "checkout.session.completed"
    ]
    assert len(hooks) == 1

    statuses = _deliver_kept(hooks * 3)
    # An operator's replay of the stored event, and the order's own guard as well.
    backup_actions_session = {
        "id": order.payment_reference,
        "mode": "payment",
        "status": "complete",
        "payment_status": "paid",
        "metadata": {"kind": "backup_order"},
    }
    from billing.actions import replay_stripe_event

    with schema_context(new.workspace.schema_name):
        replay_stripe_event(event_id=hooks[0].event["id"])
    backup_actions.apply_backup_checkout(workspace=new.workspace, session=backup_actions_session)

    assert statuses == [200, 200, 200]
    assert StripeEvent.objects.filter(type="checkout.session.completed").count() == 1
    assert Backup.objects.filter(workspace=new.workspace).count() == 1
    assert BackupOrder.objects.get(pk=order.pk).status == BackupOrder.Status.PAID


def test_a_declined_or_expired_payment_starts_no_backup(make_workspace, stripe_settings):
    double = stripe_settings
    new = make_workspace("declined")
    client, order = _checkout_order(new, double)

    double.fail_checkout(order.payment_reference)
    double.expire_checkout(order.payment_reference)
    assert all(status == 200 for status in _deliver_kept(double.take_webhooks()))

    order.refresh_from_db()
    assert order.status == BackupOrder.Status.PAYMENT_EXPIRED
    assert order.backup is None
    assert not Backup.objects.filter(workspace=new.workspace).exists()
    page = client.get("/settings/backups/paid/", {"session_id": order.payment_reference})
    assert "The payment was not completed" in page.content.decode()


def test_a_subscribed_workspace_can_add_the_backup_to_its_next_invoice(
    make_workspace, stripe_settings, deliver
):
    double = stripe_settings
    new = make_workspace("invoiced")
    client = subscribe(new, double, deliver)
    assert 'value="invoice"' in client.get("/settings/backups/").content.decode()

    response = _order(client, "invoice")
    again = _order(client, "invoice")  # the same form sent twice

    assert response.status_code == 302
    assert again.status_code == 302
    order = BackupOrder.objects.get(workspace=new.workspace)
    assert order.payment_method == BackupOrder.PaymentMethod.INVOICE
    assert order.status == BackupOrder.Status.PAID
    assert order.backup.status == Backup.Status.DONE
    item = double.get(order.payment_reference)
    assert item["amount"] == 1000
    assert item["invoice"] is None  # pending: the next invoice collects it
    customer = subscription(new).stripe_customer_id
    assert [ii["id"] for ii in double.engine.pending_items(customer, None)] == [item["id"]]

    double.advance_clock(days=32)
    deliver()
    item = double.get(order.payment_reference)
    renewal = double.get(item["invoice"])
    assert renewal["status"] == "paid"
    assert any(line["amount"] == 1000 for line in renewal["lines"]["data"])


def test_a_trialing_workspace_cannot_put_a_backup_on_an_invoice(make_workspace, stripe_settings):
    new = make_workspace("trialinv")

    response = _order(admin_client(new), "invoice")

    assert response.status_code == 302
    assert not BackupOrder.objects.exists()
    assert not Backup.objects.exists()


def test_a_read_only_workspace_can_still_order_and_pay(make_workspace, stripe_settings):
    double = stripe_settings
    new = make_workspace("readonly")
    state = subscription(new)
    state.status = SubscriptionStatus.READ_ONLY
    state.save()
    new.workspace.__class__.objects.filter(pk=new.workspace.pk).update(
        status=WorkspaceStatus.READ_ONLY
    )
    client = admin_client(new)

    assert client.get("/settings/backups/").status_code == 200
    response = _order(client, "checkout")

    assert response.status_code == 302
    assert response["Location"].startswith(double.url)
    order = BackupOrder.objects.get(workspace=new.workspace)
    double.complete_checkout(order.payment_reference)
    assert all(status == 200 for status in _deliver_kept(double.take_webhooks()))
    assert BackupOrder.objects.get(pk=order.pk).backup.status == Backup.Status.DONE


def test_a_failed_backup_is_retried_then_refunded_and_the_admin_is_told(
    make_workspace, stripe_settings, monkeypatch, no_retry_wait
):
    double = stripe_settings
    new = make_workspace("broken")
    tries: list[int] = []

    def broken_archive(*args, **kwargs):  # type: ignore[no-untyped-def]
        tries.append(1)
        raise OSError("disk full")

    monkeypatch.setattr(backup_engine_actions, "write_archive", broken_archive)
    _client, order = _checkout_order(new, double)
    double.complete_checkout(order.payment_reference)

    assert all(status == 200 for status in _deliver_kept(double.take_webhooks()))

    order.refresh_from_db()
    backup = order.backup
    assert len(tries) == 3  # the first try and two retries
    assert backup.status == Backup.Status.FAILED
    assert backup.attempts == 3
    assert "disk full" in backup.error
    assert backup.failure_reported_at is not None
    assert order.status == BackupOrder.Status.REFUNDED
    refund = double.get(order.refund_reference)
    assert refund["payment_intent"] == order.stripe_payment_intent_id
    assert refund["amount"] == 1000
    told = [m for m in mail.outbox if "could not be made" in m.subject]
    assert len(told) == 1
    assert "refunded" in told[0].body
    with schema_context(new.workspace.schema_name):
        entry = AuditEntry.objects.get(action=AuditEntry.Action.BACKUP_FAILED)
        assert entry.changes["refunded"] is True
    out = StringIO()
    call_command("failed_backups", "--json", stdout=out)
    listed = json.loads(out.getvalue())
    assert [row["backup_id"] for row in listed] == [str(backup.pk)]
    assert listed[0]["payment"] == "refunded"
    assert listed[0]["admin_told"] is True
    # Reported once, however often the last try is replayed.
    backup_engine_actions.report_backup_failure(backup_id=str(backup.pk))
    assert len([m for m in mail.outbox if "could not be made" in m.subject]) == 1


def test_a_failed_backup_on_the_next_invoice_removes_the_pending_charge(
    make_workspace, stripe_settings, deliver, monkeypatch, no_retry_wait
):
    double = stripe_settings
    new = make_workspace("brokeninv")
    client = subscribe(new, double, deliver)

    def broken_archive(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise OSError("disk full")

    monkeypatch.setattr(backup_engine_actions, "write_archive", broken_archive)
    _order(client, "invoice")

    order = BackupOrder.objects.get(workspace=new.workspace)
    assert order.backup.status == Backup.Status.FAILED
    assert order.status == BackupOrder.Status.REFUNDED
    customer = subscription(new).stripe_customer_id
    assert double.engine.pending_items(customer, None) == []


def test_a_member_cannot_order_a_backup(make_workspace, stripe_settings):
    from django.test import Client

    new = make_workspace("memberorder")
    member = add_member(new, email="ann@memberorder.example.com")
    client = Client(HTTP_HOST=host_of(new))
    with schema_context(new.workspace.schema_name):
        client.force_login(member, backend="allauth.account.auth_backends.AuthenticationBackend")

    assert _order(client, "checkout").status_code == 403
    assert client.get("/settings/backups/rows/").status_code == 403
    assert client.post("/settings/backups/schedule/", {"enabled": "on"}).status_code == 403
    assert not BackupOrder.objects.exists()


def test_the_list_polls_while_a_backup_is_queued(make_workspace, stripe_settings):
    new = make_workspace("polling")
    backup_engine_actions.request_backup(
        workspace=new.workspace, reason=Backup.Reason.OPERATOR, run_in_background=False
    )
    client = admin_client(new)

    rows = client.get("/settings/backups/rows/").content.decode()

    assert 'hx-trigger="every 3s"' in rows
    assert "Queued" in rows


def test_scheduled_backups_are_an_add_on_made_once_per_period_keeping_the_last_n(
    make_workspace, stripe_settings, deliver
):
    double = stripe_settings
    new = make_workspace("scheduled")
    client = subscribe(new, double, deliver, plan="business")

    response = client.post(
        "/settings/backups/schedule/",
        {"enabled": "on", "frequency": "daily", "keep_last": "2", "request_key": "k1"},
    )

    assert response.status_code == 302
    schedule = BackupSchedule.objects.get(workspace=new.workspace)
    assert schedule.enabled
    stripe_subscription = double.get(subscription(new).stripe_subscription_id)
    items = stripe_subscription["items"]["data"]
    assert len(items) == 2
    addon = next(i for i in items if i["id"] == schedule.stripe_subscription_item_id)
    assert addon["price"]["unit_amount"] == 500
    assert all(status == 200 for status in deliver())
    assert subscription(new).seats_paid == 2  # the seats item is still the one read

    day = timezone.now().replace(hour=12)
    first = backup_actions.run_scheduled_backups(now=day)
    again = backup_actions.run_scheduled_backups(now=day + timedelta(hours=1))
    assert first["queued"] == 1
    assert again["queued"] == 0
    for offset in (1, 2):
        backup_actions.run_scheduled_backups(now=day + timedelta(days=offset))

    scheduled = Backup.objects.filter(workspace=new.workspace, reason=Backup.Reason.SCHEDULED)
    assert scheduled.count() == 3
    assert scheduled.filter(status=Backup.Status.DONE).count() == 2
    assert scheduled.filter(status=Backup.Status.EXPIRED).count() == 1
    assert len({b.period_key for b in scheduled}) == 3

    client.post(
        "/settings/backups/schedule/",
        {"frequency": "daily", "keep_last": "2", "request_key": "k2"},
    )
    schedule.refresh_from_db()
    assert not schedule.enabled
    stripe_subscription = double.get(subscription(new).stripe_subscription_id)
    assert len(stripe_subscription["items"]["data"]) == 1
    assert backup_actions.run_scheduled_backups(now=day + timedelta(days=5))["queued"] == 0
    with schema_context(new.workspace.schema_name):
        assert (
            AuditEntry.objects.filter(action=AuditEntry.Action.SCHEDULED_BACKUPS_CHANGED).count()
            == 2
        )


def test_scheduled_backups_need_a_paid_subscription(make_workspace, stripe_settings):
    new = make_workspace("schedtrial")

    response = admin_client(new).post(
        "/settings/backups/schedule/",
        {"enabled": "on", "frequency": "weekly", "keep_last": "4", "request_key": "k"},
        follow=True,
    )

    assert "subscribe first" in response.content.decode()
    assert not BackupSchedule.objects.filter(workspace=new.workspace, enabled=True).exists()


def test_backups_are_kept_for_the_plans_retention(make_workspace, stripe_settings):
    new = make_workspace("retention")
    Plan.objects.filter(pk=subscription(new).plan.pk).update(backup_retention_days=7)

    backup = backup_engine_actions.request_backup(
        workspace=new.workspace, reason=Backup.Reason.OPERATOR, run_in_background=False
    )
    backup = backup_engine_actions.make_backup(backup_id=str(backup.pk))

    assert timedelta(days=6, hours=23) < backup.expires_at - timezone.now() <= timedelta(days=7)
    page = admin_client(new).get("/settings/backups/").content.decode()
    assert "kept for 7 days" in page


def test_the_ready_e_mail_is_in_the_language_of_the_admin_who_ordered(make_workspace):
    new = make_workspace("mova")
    backup = backup_engine_actions.request_backup(
        workspace=new.workspace,
        reason=Backup.Reason.ORDERED,
        requested_by_user_id=new.owner.pk,
        requested_by_email=new.owner.email,
        requested_by_language="uk",
        run_in_background=False,
    )

    backup_engine_actions.make_backup(backup_id=str(backup.pk))

    sent = [m for m in mail.outbox if m.to == [new.owner.email]]
    assert [m.subject for m in sent][-1] == "Ваша резервна копія Kartoteka готова"
    assert "Завантажте її на сторінці «Резервні копії»" in sent[-1].body
