"""`manage.py stripe_events [--json] [--id EVT] [--replay] [--limit N]`: stored webhook events."""

import json

from django.core.management.base import BaseCommand, CommandError, CommandParser

from billing.actions import replay_stripe_event
from billing.models import StripeEvent


def _row(event: StripeEvent) -> dict[str, object]:
    return {
        "id": event.id,
        "type": event.type,
        "workspace": event.workspace.subdomain if event.workspace else None,
        "received": event.received_at.isoformat(),
        "processed": event.processed_at.isoformat() if event.processed_at else None,
        "attempts": event.attempts,
        "error": event.error,
    }


class Command(BaseCommand):
    help = "List stored Stripe events (newest first); --id one; --replay processes it again."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", dest="as_json")
        parser.add_argument("--id", dest="event_id")
        parser.add_argument("--replay", action="store_true")
        parser.add_argument("--limit", type=int, default=100)

    def handle(self, *args: object, **options: object) -> None:
        event_id = options["event_id"]
        if options["replay"]:
            if not event_id:
                raise CommandError("--replay needs --id EVT")
            if not StripeEvent.objects.filter(pk=event_id).exists():
                raise CommandError(f"no stored event {event_id!r}")
            replay_stripe_event(event_id=str(event_id))
        events = StripeEvent.objects.select_related("workspace")
        if event_id:
            events = events.filter(pk=event_id)
        rows = [_row(event) for event in events[: int(str(options["limit"]))]]
        if event_id and not rows:
            raise CommandError(f"no stored event {event_id!r}")
        if options["as_json"]:
            self.stdout.write(json.dumps(rows[0] if event_id else rows))
        else:
            for row in rows:
                self.stdout.write(
                    f"{row['id']}  {row['type']}  received {row['received']}  "
                    f"processed {row['processed'] or '-'}  {row['error']}"
                )
