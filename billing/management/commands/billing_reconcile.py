"""`manage.py billing_reconcile [--json]`: compare every subscription with Stripe now."""

import json

from django.core.management.base import BaseCommand, CommandParser

from billing.actions import reconcile_subscriptions


class Command(BaseCommand):
    help = "Compare every Stripe-backed subscription with Stripe and print the differences."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", dest="as_json")

    def handle(self, *args: object, **options: object) -> None:
        differences = reconcile_subscriptions()
        if options["as_json"]:
            self.stdout.write(json.dumps(differences))
        elif not differences:
            self.stdout.write("No differences.")
        else:
            for difference in differences:
                self.stdout.write(str(difference))
