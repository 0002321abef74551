"""End to end: the trial, Checkout, seats, plans, failed payments and cancelling.

The real stripe SDK talks to the Stripe test double over HTTP; the double's webhooks,
signed as Stripe signs them, go through the real endpoint and the Celery task.
"""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from billing import actions
from billing.models import Invoice, SeatLedgerEntry, StripeEvent, SubscriptionStatus
from tenants.models import Workspace, WorkspaceStatus
from tests.billing.conftest import admin_client, subscription
from tests.conftest import add_member

pytestmark = pytest.mark.django_db


def subscribe(new, double, deliver, *, seats=2, plan="team", period="month"):  # type: ignore[no-untyped-def]
    """An admin chooses plan and seats, pays in Checkout; the webhooks are delivered."""
    from billing.models import Plan

    client = admin_client(new)
    response = client.post(
        "/settings/billing/subscribe/",
        {
            "plan": Plan.objects.get(code=plan).pk,
            "period": period,
            "seats": seats,
            "attempt_key": f"attempt-{seats}-{plan}-{period}-{timezone.now().timestamp()}",
        },
    )
    assert response.status_code == 302, response.content.decode()[:500]
    assert response["Location"].startswith(double.url)
    session_id = subscription(new).stripe_checkout_session_id
    double.complete_checkout(session_id)
    assert all(status == 200 for status in deliver())
    return client


def test_new_workspace_starts_a_trial_and_shows_the_days_left(workspace):
    state = subscription(workspace)

    assert state.status == SubscriptionStatus.TRIALING
    assert state.trial_ends_at - timezone.now() > timedelta(days=13, hours=23)
    page = admin_client(workspace).get("/")
    assert "Free trial: 14 days left." in page.content.decode()


def test_trial_to_paid_is_live_only_when_the_webhook_confirms(workspace, stripe_settings, deliver):
    double = stripe_settings
    add_member(workspace, email="ann@acme.example.com")
    client = admin_client(workspace)
    from billing.models import Plan

    response = client.post(
        "/settings/billing/subscribe/",
        {
            "plan": Plan.objects.get(code="team").pk,
            "period": "month",
            "seats": 3,
            "attempt_key": "k1",
        },
    )
    assert response.status_code == 302
    session_id = subscription(workspace).stripe_checkout_session_id
    session = double.get(session_id)
    assert session["line_items"]["data"][0]["quantity"] == 3 if "line_items" in session else True

    # Paid in Checkout, but Stripe's webhook has not arrived: still the trial, page waits.
    double.complete_checkout(session_id)
    assert subscription(workspace).status == SubscriptionStatus.TRIALING
    waiting = client.get("/settings/billing/progress/", {"session_id": session_id})
    assert "Waiting for Stripe to confirm" in waiting.content.decode()
    assert 'hx-trigger="every 2s"' in waiting.content.decode()

    assert all(status == 200 for status in deliver())

    state = subscription(workspace)
    assert state.status == SubscriptionStatus.ACTIVE
    assert state.seats_paid == 3
    assert state.plan.code == "team"
    assert state.stripe_subscription_id.startswith("sub_")
    assert (
        "Your subscription is active."
        in client.get("/settings/billing/progress/status/").content.decode()
    )
    ledger = SeatLedgerEntry.objects.get(workspace=workspace.workspace)
    assert (ledger.reason, ledger.delta, ledger.seats_after) == ("subscribed", 3, 3)
    assert Invoice.objects.filter(workspace=workspace.workspace, status="paid").exists()
    billing_page = client.get("/settings/billing/").content.decode()
    assert "Seats paid" in billing_page
    assert "Download" in billing_page


def test_checkout_refuses_fewer_seats_than_active_members(workspace, stripe_settings):
    add_member(workspace, email="ann@acme.example.com")
    from billing.models import Plan

    response = admin_client(workspace).post(
        "/settings/billing/subscribe/",
        {
            "plan": Plan.objects.get(code="team").pk,
            "period": "month",
            "seats": 1,
            "attempt_key": "k",
        },
        follow=True,
    )

    assert "Choose at least 2 seats" in response.content.decode()
    assert subscription(workspace).stripe_checkout_session_id == ""


def test_trial_expiring_makes_the_workspace_read_only_and_subscribing_restores_it(
    workspace, stripe_settings, deliver
):
    ends = subscription(workspace).trial_ends_at
    assert actions.expire_trials(now=ends + timedelta(minutes=1)) == 1
    assert Workspace.objects.get(pk=workspace.workspace.pk).status == WorkspaceStatus.READ_ONLY
    client = admin_client(workspace)
    refused = client.post("/settings/members/", {"email": "bob@example.com", "role": "member"})
    assert refused.status_code == 403
    assert "read-only" in refused.content.decode()
    assert client.get("/settings/members/").status_code == 200

    subscribe(workspace, stripe_settings, deliver, seats=1)

    assert subscription(workspace).status == SubscriptionStatus.ACTIVE
    assert Workspace.objects.get(pk=workspace.workspace.pk).status == WorkspaceStatus.ACTIVE
    assert (
        client.post(
            "/settings/workspace/",
            {
                "name": "Acme 2",
                "default_country": "RU",
                "time_zone": "Europe/Moscow",
                "default_language": "en",
            },
        ).status_code
        == 302
    )


def test_adding_seats_mid_period_invoices_the_proration_now(workspace, stripe_settings, deliver):
    client = subscribe(workspace, stripe_settings, deliver, seats=2)

    preview = client.get("/settings/billing/seats/", {"seats": 4})
    assert "Adding 2 seats charges about" in preview.content.decode()
    response = client.post("/settings/billing/seats/", {"seats": 4, "request_key": "add-1"})
    assert response.status_code == 302
    deliver()

    state = subscription(workspace)
    assert state.seats_paid == 4
    invoices = [
        inv
        for inv in stripe_settings.engine.all("invoice")
        if inv["customer"] == state.stripe_customer_id
    ]
    assert any(
        inv["billing_reason"] == "subscription_update" and inv["amount_due"] > 0 for inv in invoices
    )
    entry = SeatLedgerEntry.objects.filter(workspace=workspace.workspace).first()
    assert (entry.reason, entry.delta, entry.actor) == ("added", 2, workspace.owner.email)


def test_removing_seats_takes_effect_at_renewal(workspace, stripe_settings, deliver):
    client = subscribe(workspace, stripe_settings, deliver, seats=5)

    client.post("/settings/billing/seats/", {"seats": 2, "request_key": "reduce-1"})
    deliver()
    state = subscription(workspace)
    assert (state.seats_paid, state.renewal_seats) == (5, 2)

    stripe_settings.advance_clock(days=32)
    deliver()

    state = subscription(workspace)
    assert (state.seats_paid, state.renewal_seats) == (2, 2)
    assert state.status == SubscriptionStatus.ACTIVE
    reasons = list(
        SeatLedgerEntry.objects.filter(workspace=workspace.workspace).values_list("reason", "delta")
    )
    assert ("renewed", -3) in reasons
    assert ("reduced", -3) in reasons


def test_failed_renewal_gives_grace_then_read_only_and_payment_restores(
    workspace, stripe_settings, deliver
):
    member = add_member(workspace, email="ann@acme.example.com")
    subscribe(workspace, stripe_settings, deliver, seats=2)
    customer = subscription(workspace).stripe_customer_id
    stripe_settings.set_card_failing(customer)
    mail.outbox.clear()

    stripe_settings.advance_clock(days=32)
    deliver()

    state = subscription(workspace)
    assert state.status == SubscriptionStatus.PAST_DUE
    assert state.grace_ends_at - timezone.now() > timedelta(days=6)
    assert Workspace.objects.get(pk=workspace.workspace.pk).status == WorkspaceStatus.ACTIVE
    assert [m.to for m in mail.outbox] == [["owner@acme.example.com"]]
    from tests.cross_workspace import logged_in_client

    banner = logged_in_client(workspace, member).get("/").content.decode()
    assert "The last payment for this workspace failed" in banner

    actions.expire_grace_periods(now=state.grace_ends_at + timedelta(minutes=1))
    assert subscription(workspace).status == SubscriptionStatus.READ_ONLY
    assert Workspace.objects.get(pk=workspace.workspace.pk).status == WorkspaceStatus.READ_ONLY

    stripe_settings.update_card(customer)
    deliver()

    assert subscription(workspace).status == SubscriptionStatus.ACTIVE
    assert Workspace.objects.get(pk=workspace.workspace.pk).status == WorkspaceStatus.ACTIVE


def test_cancel_runs_to_period_end_then_read_only_and_resubscribing_works(
    workspace, stripe_settings, deliver
):
    client = subscribe(workspace, stripe_settings, deliver, seats=1)
    first = subscription(workspace).stripe_subscription_id

    client.post("/settings/billing/cancel/")
    deliver()
    state = subscription(workspace)
    assert state.cancel_at_period_end
    assert state.status == SubscriptionStatus.ACTIVE

    stripe_settings.advance_clock(days=32)
    deliver()
    assert subscription(workspace).status == SubscriptionStatus.CANCELED
    assert Workspace.objects.get(pk=workspace.workspace.pk).status == WorkspaceStatus.READ_ONLY

    subscribe(workspace, stripe_settings, deliver, seats=1)

    state = subscription(workspace)
    assert state.status == SubscriptionStatus.ACTIVE
    assert state.stripe_subscription_id != first
    assert Workspace.objects.get(pk=workspace.workspace.pk).status == WorkspaceStatus.ACTIVE


def test_upgrade_applies_now_and_downgrade_at_renewal(workspace, stripe_settings, deliver):
    from billing.models import Plan

    client = subscribe(workspace, stripe_settings, deliver, seats=2, plan="team")

    client.post(
        "/settings/billing/plan/",
        {"plan": Plan.objects.get(code="business").pk, "period": "month", "request_key": "up"},
    )
    deliver()
    assert subscription(workspace).plan.code == "business"

    client.post(
        "/settings/billing/plan/",
        {"plan": Plan.objects.get(code="start").pk, "period": "month", "request_key": "down"},
    )
    deliver()
    state = subscription(workspace)
    assert (state.plan.code, state.renewal_plan.code) == ("business", "start")

    stripe_settings.advance_clock(days=32)
    deliver()
    assert subscription(workspace).plan.code == "start"


def test_inviting_beyond_paid_seats_asks_to_add_seats_with_the_prorated_amount(
    workspace, stripe_settings, deliver
):
    client = subscribe(workspace, stripe_settings, deliver, seats=1)

    response = client.post("/settings/members/", {"email": "bob@example.com", "role": "member"})

    text = response.content.decode()
    assert "All 1 paid seats are in use" in text
    assert "USD will be charged now" in text
    assert not StripeEvent.objects.filter(type="nothing").exists()


def test_billing_status_command_prints_the_state(workspace, capsys):
    call_command("billing_status", "acme", "--json")
    import json

    status = json.loads(capsys.readouterr().out)
    assert status["status"] == "trialing"
    assert status["plan"] == "team"
    assert status["seats_used"] == 1
    assert status["trial_ends_at"]
    assert "seats_paid" in status
    assert "current_period_end" in status


def test_reactivating_beyond_paid_seats_is_refused(workspace, stripe_settings, deliver):
    from django_tenants.utils import schema_context

    from tenants.members import actions as member_actions

    member = add_member(workspace, email="ann@acme.example.com")
    with schema_context(workspace.workspace.schema_name):
        member_actions.deactivate_member(acting_user=workspace.owner, member=member)
    client = subscribe(workspace, stripe_settings, deliver, seats=1)

    response = client.post(f"/settings/members/{member.pk}/reactivate/", follow=True)

    assert "All 1 paid seats are in use" in response.content.decode()
    with schema_context(workspace.workspace.schema_name):
        member.refresh_from_db()
    assert member.is_active is False


def test_customer_portal_button_opens_stripes_portal(workspace, stripe_settings, deliver):
    client = subscribe(workspace, stripe_settings, deliver, seats=1)

    response = client.post("/settings/billing/portal/")

    assert response.status_code == 302
    assert response["Location"].startswith(stripe_settings.url)


def test_reconcile_reports_what_differs_from_stripe(workspace, stripe_settings, deliver):
    import stripe

    subscribe(workspace, stripe_settings, deliver, seats=2)
    assert actions.reconcile_subscriptions() == []
    state = subscription(workspace)
    item = stripe.Subscription.retrieve(state.stripe_subscription_id)["items"]["data"][0]
    # A change made in Stripe whose webhook never arrived.
    stripe.Subscription.modify(
        state.stripe_subscription_id,
        items=[{"id": item["id"], "quantity": 5}],
        proration_behavior="none",
    )

    differences = actions.reconcile_subscriptions()

    assert differences == [
        {"workspace": "acme", "field": "seats", "ours": "2", "stripe": "5"},
    ]
