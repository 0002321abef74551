"""Billing forms: what an admin chooses before Stripe is asked anything."""

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from billing.models import BackupFrequency, BillingPeriod, Plan


def _new_key() -> str:
    return uuid.uuid4().hex


class SubscribeForm(forms.Form):
    plan = forms.ModelChoiceField(
        label=_("Plan"), queryset=Plan.objects.filter(is_public=True), empty_label=None
    )
    period = forms.ChoiceField(
        label=_("Billing period"), choices=BillingPeriod.choices, initial=BillingPeriod.MONTH
    )
    seats = forms.IntegerField(label=_("Seats"), min_value=1, max_value=10_000)
    # One key per form shown: a double submit opens the same Checkout Session.
    attempt_key = forms.CharField(widget=forms.HiddenInput, initial=_new_key, max_length=64)


class SeatsForm(forms.Form):
    seats = forms.IntegerField(label=_("Seats"), min_value=1, max_value=10_000)
    request_key = forms.CharField(
        widget=forms.HiddenInput, initial=_new_key, max_length=64, required=False
    )


class ChangePlanForm(forms.Form):
    plan = forms.ModelChoiceField(
        label=_("Plan"), queryset=Plan.objects.filter(is_public=True), empty_label=None
    )
    period = forms.ChoiceField(label=_("Billing period"), choices=BillingPeriod.choices)
    request_key = forms.CharField(widget=forms.HiddenInput, initial=_new_key, max_length=64)


class BackupOrderForm(forms.Form):
    payment_method = forms.ChoiceField(label=_("How to pay"), widget=forms.RadioSelect)
    # One key per form shown: a double submit reaches the same Stripe object and order.
    attempt_key = forms.CharField(widget=forms.HiddenInput, initial=_new_key, max_length=64)

    def __init__(self, *args: object, can_add_to_invoice: bool = False, **kwargs: object):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        from billing.models import BackupOrder

        choices = [(BackupOrder.PaymentMethod.CHECKOUT, _("Pay now by card (Stripe Checkout)"))]
        if can_add_to_invoice:
            choices.insert(0, (BackupOrder.PaymentMethod.INVOICE, _("Add to the next invoice")))
        field = self.fields["payment_method"]
        field.choices = choices  # type: ignore[attr-defined]
        field.initial = choices[0][0]


class BackupScheduleForm(forms.Form):
    enabled = forms.BooleanField(label=_("Make backups on a schedule"), required=False)
    frequency = forms.ChoiceField(label=_("How often"), choices=BackupFrequency.choices)
    keep_last = forms.IntegerField(
        label=_("Keep the last"),
        min_value=1,
        max_value=30,
        help_text=_("Older scheduled backups are removed."),
    )
    request_key = forms.CharField(widget=forms.HiddenInput, initial=_new_key, max_length=64)
