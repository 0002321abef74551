"""`manage.py failed_backups [--json] [--days N]`: backups that failed for good, and refunds."""

import json
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from billing.models import BackupOrder
from tenants.backups.models import Backup


class Command(BaseCommand):
    help = "List backups that failed (after their retries), with what happened to the payment."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=30, help="look back this many days")
        parser.add_argument("--json", action="store_true", dest="as_json")

    def handle(self, *args: object, **options: object) -> None:
        since = timezone.now() - timedelta(days=int(options["days"]))  # type: ignore[call-overload]
        failed = (
            Backup.objects.filter(status=Backup.Status.FAILED, created_at__gte=since)
            .select_related("workspace")
            .order_by("-created_at")
        )
        orders = {order.backup_id: order for order in BackupOrder.objects.filter(backup__in=failed)}
        rows: list[dict[str, object]] = []
        for backup in failed:
            order = orders.get(backup.pk)
            rows.append(
                {
                    "backup_id": str(backup.pk),
                    "workspace": backup.workspace.subdomain,
                    "reason": backup.reason,
                    "created_at": backup.created_at.isoformat(),
                    "attempts": backup.attempts,
                    "error": backup.error,
                    "admin_told": backup.failure_reported_at is not None,
                    "order_id": str(order.pk) if order else None,
                    "payment_method": order.payment_method if order else None,
                    "payment": order.status if order else None,
                    "refund_reference": order.refund_reference if order else None,
                }
            )
        if options["as_json"]:
            self.stdout.write(json.dumps(rows))
            return
        if not rows:
            self.stdout.write("No failed backups.")
        for row in rows:
            self.stdout.write(
                f"{row['created_at']} {row['workspace']} {row['backup_id']} "
                f"({row['reason']}, {row['attempts']} tries): {str(row['error'])[:80]} "
                f"-> payment {row['payment'] or '-'}"
            )
