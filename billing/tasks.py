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


@shared_task(name="billing.run_scheduled_backups")
def run_scheduled_backups() -> dict[str, int]:
    """Queue due scheduled backups, one per workspace and period; prune old ones (beat)."""
    from django.conf import settings
    from django_tenants.utils import schema_context

    from billing import backup_actions

    with schema_context(settings.PUBLIC_SCHEMA_NAME):
        return backup_actions.run_scheduled_backups()
