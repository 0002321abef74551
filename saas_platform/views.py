"""The public landing page and the workspace home page."""

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from tenants.members.models import Invitation, User


def landing(request: HttpRequest) -> HttpResponse:
    return render(request, "landing.html")


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The workspace's first screen: what to do next to get the team started."""
    user = request.user
    checklist = [
        ("verify_email", EmailAddress.objects.filter(user=user, verified=True).exists()),
        ("enable_mfa", Authenticator.objects.filter(user=user).exists()),
    ]
    if user.is_workspace_admin:  # type: ignore[union-attr]
        has_team = User.objects.count() > 1 or Invitation.objects.exists()
        checklist.insert(0, ("invite_team", has_team))
    return render(request, "home.html", {"checklist": checklist})
