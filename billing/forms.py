"""Billing forms: what an admin chooses before Stripe is asked anything."""

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from billing.models import BillingPeriod, Plan


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
