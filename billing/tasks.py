"""Billing's Celery tasks: thin, safe to run twice."""

from celery import shared_task

from billing import actions
from tenants.task_runtime import workspace_task


# ignore_result: nobody waits for it, and the webhook request then skips the result
# backend's round trips when it sends the task.
@workspace_task(name="billing.process_stripe_event", writes=False, ignore_result=True)
def process_stripe_event(event_id: str) -> bool:
    """Apply one stored webhook event, inside its workspace (billing state is public)."""
    return actions.process_stripe_event(event_id=event_id)


@shared_task(name="billing.run_billing_clock")
def run_billing_clock() -> dict[str, int]:
    """Trial reminders, trial ends, grace ends (beat, every few minutes; public schema)."""
    return actions.run_billing_clock()


@shared_task(name="billing.reconcile_subscriptions")
def reconcile_subscriptions() -> int:
    """Nightly: compare every subscription with Stripe; differences are logged."""
    return len(actions.reconcile_subscriptions())
