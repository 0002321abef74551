"""Billing pages of a workspace (admins), the public pricing page, and Stripe's webhook."""

from __future__ import annotations

import logging
import uuid
from typing import cast

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django_tenants.utils import schema_context

from billing import actions, gateway
from billing.forms import ChangePlanForm, SeatsForm, SubscribeForm
from billing.models import SubscriptionStatus
from billing.selectors import billing_overview, public_plans, seats_used, subscription_of
from tenants.guards import allowed_when_read_only
from tenants.members.permissions import workspace_admin_required
from tenants.models import Workspace

logger = logging.getLogger(__name__)


def _stripe_hosted_origins() -> list[str]:
    """Where Checkout and the Customer Portal are served (the test double: its own host)."""
    return gateway.hosted_page_origins()


def _workspace(request: HttpRequest) -> Workspace:
    return cast(Workspace, request.tenant)  # type: ignore[attr-defined]


def _errors(error: ValidationError | PermissionDenied | gateway.StripeError) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    if isinstance(error, gateway.StripeError):
        logger.warning("Stripe refused a billing change: %s", error)
        return _("Stripe could not do this just now. Please try again in a minute.")
    return str(error) or _("You are not allowed to do this.")


# Every billing page keeps working in a read-only workspace: it is the way out of it.


@allowed_when_read_only
@workspace_admin_required
def billing(request: HttpRequest) -> HttpResponse:
    workspace = _workspace(request)
    overview = billing_overview(workspace)
    if overview is None:
        raise PermissionDenied
    subscription = overview.subscription
    used = overview.seats_used
    subscribe_form = SubscribeForm(
        initial={"plan": subscription.plan, "seats": max(used, 1), "period": "month"}
    )
    response = render(
        request,
        "billing/billing.html",
        {
            "overview": overview,
            "subscription": subscription,
            "can_subscribe": actions.can_start_checkout(subscription),
            "subscribe_form": subscribe_form,
            "seats_form": SeatsForm(initial={"seats": subscription.seats_paid}),
            "plan_form": ChangePlanForm(
                initial={
                    "plan": subscription.renewal_plan or subscription.plan,
                    "period": subscription.renewal_period or subscription.billing_period,
                }
            ),
            "plans": public_plans(),
            "Status": SubscriptionStatus,
        },
    )
    # The subscribe form and the portal button lead to Stripe's hosted pages; the CSP's
    # form-action covers the redirect after a submit, so this page allows their origin.
    response._csp_update = {"form-action": _stripe_hosted_origins()}  # type: ignore[attr-defined]
    return response


@allowed_when_read_only
@require_POST
@workspace_admin_required
def subscribe(request: HttpRequest) -> HttpResponse:
    form = SubscribeForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("billing")
    try:
        url = actions.start_checkout(
            acting_user=request.user,
            workspace=_workspace(request),
            plan=form.cleaned_data["plan"],
            period=form.cleaned_data["period"],
            seats=form.cleaned_data["seats"],
            attempt_key=form.cleaned_data["attempt_key"],
        )
    except (ValidationError, PermissionDenied, gateway.StripeError) as error:
        messages.error(request, _errors(error))
        return redirect("billing")
    return redirect(url)


def _subscription_confirmed(workspace: Workspace) -> bool:
    subscription = subscription_of(workspace)
    return bool(
        subscription
        and subscription.stripe_subscription_id
        and subscription.status in (SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE)
    )


@allowed_when_read_only
@workspace_admin_required
def progress(request: HttpRequest) -> HttpResponse:
    """Where Checkout sends the admin back: waits (htmx polling) for Stripe's webhook."""
    return render(
        request,
        "billing/progress.html",
        {"confirmed": _subscription_confirmed(_workspace(request))},
    )


@allowed_when_read_only
@workspace_admin_required
def progress_status(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "billing/_progress_status.html",
        {"confirmed": _subscription_confirmed(_workspace(request))},
    )


@allowed_when_read_only
@workspace_admin_required
def seats(request: HttpRequest) -> HttpResponse:
    """GET: what a seat change costs (shown before confirming); POST: make it."""
    workspace = _workspace(request)
    subscription = subscription_of(workspace)
    if subscription is None:
        raise PermissionDenied
    form = SeatsForm(request.POST if request.method == "POST" else request.GET or None)
    if form.is_bound and form.is_valid():
        wanted = form.cleaned_data["seats"]
        if request.method == "POST":
            try:
                outcome = actions.change_seats(
                    acting_user=request.user,
                    workspace=workspace,
                    seats=wanted,
                    request_key=form.cleaned_data["request_key"] or uuid.uuid4().hex,
                )
            except (ValidationError, PermissionDenied, gateway.StripeError) as error:
                messages.error(request, _errors(error))
                return redirect("billing")
            if outcome == "added":
                messages.success(
                    request,
                    _("You now have %(seats)d seats. The prorated amount was invoiced.")
                    % {"seats": wanted},
                )
            elif outcome == "reduced":
                messages.success(
                    request,
                    _("From the next renewal you will pay for %(seats)d seats.")
                    % {"seats": wanted},
                )
            else:
                messages.info(request, _("Nothing changed."))
            return redirect("billing")
        extra = wanted - subscription.seats_paid
        return render(
            request,
            "billing/seats_confirm.html",
            {
                "form": SeatsForm(initial={"seats": wanted}),
                "subscription": subscription,
                "wanted": wanted,
                "extra": extra,
                "seats_used": seats_used(workspace),
                "amount_now": actions.prorated_amount(subscription, extra_seats=extra)
                if extra > 0
                else None,
            },
        )
    return redirect("billing")


@allowed_when_read_only
@require_POST
@workspace_admin_required
def change_plan(request: HttpRequest) -> HttpResponse:
    form = ChangePlanForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a plan and a billing period."))
        return redirect("billing")
    try:
        outcome = actions.change_plan(
            acting_user=request.user,
            workspace=_workspace(request),
            plan=form.cleaned_data["plan"],
            period=form.cleaned_data["period"],
            request_key=form.cleaned_data["request_key"],
        )
    except (ValidationError, PermissionDenied, gateway.StripeError) as error:
        messages.error(request, _errors(error))
        return redirect("billing")
    texts = {
        "upgraded": _("Plan changed. The prorated difference was invoiced."),
        "downgraded": _("The new plan starts at the next renewal."),
        "unchanged": _("Nothing changed."),
    }
    messages.success(request, texts[outcome])
    return redirect("billing")


@allowed_when_read_only
@require_POST
@workspace_admin_required
def cancel(request: HttpRequest) -> HttpResponse:
    resume = request.POST.get("resume") == "1"
    try:
        actions.cancel_subscription(
            acting_user=request.user, workspace=_workspace(request), resume=resume
        )
    except (ValidationError, PermissionDenied, gateway.StripeError) as error:
        messages.error(request, _errors(error))
    else:
        messages.success(
            request,
            _("Your subscription continues.")
            if resume
            else _(
                "Your subscription ends at the end of the paid period. "
                "Then the workspace becomes read-only; nothing is deleted."
            ),
        )
    return redirect("billing")


@allowed_when_read_only
@require_POST
@workspace_admin_required
def portal(request: HttpRequest) -> HttpResponse:
    try:
        url = actions.customer_portal_url(acting_user=request.user, workspace=_workspace(request))
    except (ValidationError, PermissionDenied, gateway.StripeError) as error:
        messages.error(request, _errors(error))
        return redirect("billing")
    return redirect(url)


# ---------------------------------------------------------------- public site


def pricing(request: HttpRequest) -> HttpResponse:
    return render(request, "billing/pricing.html", {"plans": public_plans()})


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    """Stripe's webhook: verify, store once, answer at once; a Celery task does the work."""
    signature = request.headers.get("Stripe-Signature", "")
    if not signature or not settings.STRIPE_WEBHOOK_SECRET:
        return HttpResponseBadRequest("missing signature")
    try:
        payload = gateway.verify_webhook(request.body, signature)
    except (gateway.SignatureVerificationError, ValueError, UnicodeDecodeError):
        return HttpResponseBadRequest("invalid signature")
    # Stored (committed) before the task is sent: the task always finds its event.
    recorded = actions.record_stripe_event(payload=payload)
    if recorded.created and recorded.schema_name:
        from billing.tasks import process_stripe_event

        with schema_context(recorded.schema_name):
            process_stripe_event.delay(recorded.id)
    return JsonResponse({"received": True, "duplicate": not recorded.created})


# ---------------------------------------------------------------- paid and scheduled backups
# Allowed in a read-only workspace: ordering a backup is paid, and the data is theirs.


@allowed_when_read_only
@require_POST
@workspace_admin_required
def order_backup(request: HttpRequest) -> HttpResponse:
    from billing import backup_actions
    from billing.forms import BackupOrderForm

    workspace = _workspace(request)
    offer = backup_actions.backup_offer(workspace)
    form = BackupOrderForm(request.POST, can_add_to_invoice=offer.can_add_to_invoice)
    if not form.is_valid():
        messages.error(request, _("Choose how to pay for the backup."))
        return redirect("backup_list")
    try:
        result = backup_actions.order_backup(
            acting_user=request.user,
            workspace=workspace,
            payment_method=form.cleaned_data["payment_method"],
            attempt_key=form.cleaned_data["attempt_key"],
            language=getattr(request, "LANGUAGE_CODE", ""),
        )
    except (ValidationError, PermissionDenied, gateway.StripeError) as error:
        messages.error(request, _errors(error))
        return redirect("backup_list")
    if result.checkout_url:
        return redirect(result.checkout_url)
    messages.success(
        request,
        _(
            "The backup has started; it is added to your next invoice. "
            "We will e-mail you when it is ready."
        ),
    )
    return redirect("backup_list")


@allowed_when_read_only
@workspace_admin_required
def backup_order_return(request: HttpRequest) -> HttpResponse:
    """Where Checkout sends the admin back: waits (htmx polling) for Stripe's webhook."""
    from billing.models import BackupOrder

    order = BackupOrder.objects.filter(
        workspace=_workspace(request), payment_reference=request.GET.get("session_id", "")
    ).first()
    if order is None:
        return redirect("backup_list")
    confirmed = order.backup_id is not None
    if confirmed and request.headers.get("HX-Request"):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = reverse("backup_list")
        return response
    if confirmed:
        messages.success(
            request,
            _("Payment confirmed: the backup has started. We will e-mail you when it is ready."),
        )
        return redirect("backup_list")
    return render(
        request,
        "billing/backup_paid.html"
        if not request.headers.get("HX-Request")
        else "billing/_backup_paid_status.html",
        {"order": order, "session_id": order.payment_reference},
    )


@allowed_when_read_only
@require_POST
@workspace_admin_required
def backup_schedule(request: HttpRequest) -> HttpResponse:
    from billing import backup_actions
    from billing.forms import BackupScheduleForm

    form = BackupScheduleForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("backup_list")
    try:
        schedule = backup_actions.set_backup_schedule(
            acting_user=request.user,
            workspace=_workspace(request),
            enabled=form.cleaned_data["enabled"],
            frequency=form.cleaned_data["frequency"],
            keep_last=form.cleaned_data["keep_last"],
            request_key=form.cleaned_data["request_key"],
            language=getattr(request, "LANGUAGE_CODE", ""),
        )
    except (ValidationError, PermissionDenied, gateway.StripeError) as error:
        messages.error(request, _errors(error))
        return redirect("backup_list")
    messages.success(
        request,
        _("Scheduled backups are on.") if schedule.enabled else _("Scheduled backups are off."),
    )
    return redirect("backup_list")
