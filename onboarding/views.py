"""The public site's signup and find-my-workspace pages, and the welcome hand-off."""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.cache import add_never_cache_headers
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from onboarding.actions import record_signup_attempt, request_workspace_reminder
from onboarding.forms import FindWorkspaceForm, PublicLoginForm, SignupForm
from tenants.actions import create_workspace, subdomain_error
from tenants.client_address import client_ip_for_limits
from tenants.guards import allowed_when_read_only
from tenants.members.handoff import consume_login_handoff, make_login_handoff
from tenants.members.language import set_language_cookie
from tenants.members.models import User
from tenants.models import Workspace
from tenants.selectors import (
    customer_workspace_at,
    public_site_url,
    workspace_address,
    workspace_host,
    workspace_url,
    workspace_url_pattern,
)
from tenants.validators import normalize_subdomain

LOGIN_BACKEND = "allauth.account.auth_backends.AuthenticationBackend"


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _handoff_page(request: HttpRequest, workspace: Workspace, owner: User) -> HttpResponse:
    """The page that carries the new owner into their workspace: a form POSTed there.

    A POST, not a link: a link that logs in on GET would let any page log a visitor into
    someone else's workspace. The welcome view accepts it only from this site's origin,
    so the browser's Origin header must be sent: this page's referrer policy allows that
    (the site-wide "same-origin" would send `Origin: null` across origins).
    """
    token = make_login_handoff(schema_name=workspace.schema_name, user=owner)
    action = workspace_url(workspace, reverse("welcome", urlconf=settings.ROOT_URLCONF))
    response = render(
        request,
        "onboarding/handoff.html",
        {"action": action, "token": token, "host": workspace_host(workspace.subdomain)},
    )
    response["Referrer-Policy"] = "strict-origin-when-cross-origin"
    # The token must not outlive the page in any cache (it is single-use anyway).
    add_never_cache_headers(response)
    response._csp_update = {"form-action": [_origin_of(action)]}  # type: ignore[attr-defined]
    return response


def _taken_workspace_login_url(form: SignupForm) -> str | None:
    """The login page of the workspace whose address the form asked for, if it is taken."""
    if not form.has_error("subdomain", code="taken"):
        return None
    subdomain = normalize_subdomain(str(form.data.get("subdomain", "")))
    workspace = Workspace.objects.filter(subdomain=subdomain).first()
    if workspace is None:
        return None
    return workspace_url(workspace, reverse("account_login", urlconf=settings.ROOT_URLCONF))


def signup(request: HttpRequest) -> HttpResponse:
    """The public signup: the page's language becomes the workspace's and the owner's."""
    language = translation.get_language() or settings.LANGUAGE_CODE
    form = SignupForm(
        request.POST or None,
        language=language,
        accept_language=request.headers.get("Accept-Language", ""),
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if not record_signup_attempt(client=client_ip_for_limits(request), email=data["email"]):
            form.add_error(
                None,
                _("Too many sign-up attempts. Please wait an hour and try again."),
            )
            status = 429
        else:
            try:
                created = create_workspace(
                    name=data["name"],
                    subdomain=data["subdomain"],
                    owner_email=data["email"],
                    owner_password=data["password"],
                    owner_full_name=data["full_name"],
                    language=language,
                    owner_language=language,
                    default_country=data["country"],
                    time_zone=data["time_zone"],
                )
            except ValidationError as error:
                # A repeated signup (double click, back button) finds its address taken; the
                # page links to that workspace's login, never logs in by itself.
                if hasattr(error, "error_dict"):
                    for field, field_errors in error.error_dict.items():
                        form.add_error(field if field in form.fields else None, field_errors)
                else:
                    form.add_error(None, error)
            else:
                return _handoff_page(request, created.workspace, created.owner)
    if form.is_bound:
        form.focus_first_error()
    return render(
        request,
        "onboarding/signup.html",
        {
            "form": form,
            "taken_login_url": _taken_workspace_login_url(form),
            "address_suffix": workspace_address(""),
        },
        status=status,
    )


@require_GET
def check_subdomain(request: HttpRequest) -> HttpResponse:
    """htmx: tell the person typing whether the address is free, before they submit."""
    subdomain = normalize_subdomain(request.GET.get("subdomain", ""))
    error = subdomain_error(subdomain) if subdomain else None
    return render(
        request,
        "onboarding/_subdomain_status.html",
        {"subdomain": subdomain, "host": workspace_address(subdomain), "error": error},
    )


def find_workspace(request: HttpRequest) -> HttpResponse:
    form = FindWorkspaceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        request_workspace_reminder(
            email=form.cleaned_data["email"],
            language=translation.get_language() or settings.LANGUAGE_CODE,
            client=client_ip_for_limits(request),
        )
        # The same answer whether or not the address has workspaces.
        return render(
            request, "onboarding/find_workspace_sent.html", {"email": form.cleaned_data["email"]}
        )
    return render(request, "onboarding/find_workspace.html", {"form": form})


def public_login(request: HttpRequest) -> HttpResponse:
    """The public site's "Log in": go to the workspace's own login page, in this language.

    An address takes the person to `<address>/accounts/login/?lang=..` (the language
    chosen here carries over, see tenants.members.language); an e-mail sends the
    find-my-workspace e-mail instead, with the same answer whatever the address.
    """
    language = translation.get_language() or settings.LANGUAGE_CODE
    form = PublicLoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if form.is_email:
            try:
                validate_email(form.cleaned_data["address"])
            except ValidationError:
                form.add_error("address", _("Please enter a valid e-mail address."))
            else:
                request_workspace_reminder(
                    email=form.cleaned_data["address"],
                    language=language,
                    client=client_ip_for_limits(request),
                )
                return render(
                    request,
                    "onboarding/find_workspace_sent.html",
                    {"email": form.cleaned_data["address"]},
                )
        else:
            workspace = customer_workspace_at(form.subdomain())
            if workspace is not None:
                login_path = reverse("account_login", urlconf=settings.ROOT_URLCONF)
                return HttpResponseRedirect(
                    workspace_url(workspace, f"{login_path}?{urlencode({'lang': language})}")
                )
            form.add_error(
                "address",
                _(
                    "There is no workspace at “%(address)s”. Check the address, or enter "
                    "your e-mail and we will send you the list of your workspaces."
                )
                % {"address": workspace_address(form.subdomain() or "…")},
            )
    response = render(request, "onboarding/public_login.html", {"form": form})
    # The form's POST answers with a redirect to the workspace's host: the page's CSP
    # must let the form lead there (form-action covers redirects after a submit).
    response._csp_update = {"form-action": [workspace_url_pattern()]}  # type: ignore[attr-defined]
    return response


@csrf_exempt
def welcome(request: HttpRequest) -> HttpResponse:
    """Workspace host: log in the owner the public site just signed up, then show the workspace.

    Only a POST from the public site's own origin (its hand-off page) carrying an unused
    token for this workspace. CSRF-exempt because the form comes from another origin; the
    Origin check stands in for it, so no other page can log a visitor in (login CSRF).
    """
    token = request.POST.get("token", "") if request.method == "POST" else ""
    origin = request.headers.get("Origin", "")
    user = None
    if token and origin == _origin_of(public_site_url("/")):
        user = consume_login_handoff(token)
    if user is None:
        if request.method == "POST":
            messages.error(request, _("This sign-in link has expired. Please log in."))
        return redirect("account_login")
    login(request, user, backend=LOGIN_BACKEND)
    from allauth.account.models import EmailAddress

    address = EmailAddress.objects.filter(user=user, primary=True, verified=False).first()
    if address is not None:
        address.send_confirmation(request, signup=True)
        messages.success(
            request,
            _("Welcome to your workspace! We have sent you an e-mail to confirm your address."),
        )
    # The language of the signup page is the owner's choice: keep it on this host too,
    # so the login page after a logout speaks it as well.
    response = redirect("home")
    if user.language:
        set_language_cookie(response, user.language)
    return response


@allowed_when_read_only  # a personal view setting, not the workspace's data
@login_required
@require_POST
def checklist_visibility(request: HttpRequest) -> HttpResponse:
    """Hide the home page's checklist (`hide`), or bring it back (`show`)."""
    from onboarding.actions import set_checklist_dismissed

    dismissed = request.POST.get("checklist") != "show"
    set_checklist_dismissed(acting_user=request.user, dismissed=dismissed)
    if dismissed:
        messages.success(request, _("The checklist is hidden. You can show it again here."))
    return redirect("home")
