"""Public-site tasks (they run in the public schema, so they are not workspace tasks)."""

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from tenants.members.actions import quoted_for_email
from tenants.selectors import public_site_url, workspace_url, workspaces_of_email


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def email_workspace_list(email: str, language: str = "") -> None:
    """E-mail `email` the workspaces where it is an active member (or that there are none)."""
    workspaces = workspaces_of_email(email)
    language = language or settings.LANGUAGE_CODE
    # Each link opens the workspace's login page in the language the person asked in.
    login_path = f"{reverse('account_login', urlconf=settings.ROOT_URLCONF)}?lang={language}"
    context = {
        "email": email,
        # Names are the workspaces' own words: one line each, bounded, quoted by the template.
        "workspaces": [
            (quoted_for_email(workspace.name), workspace_url(workspace, login_path))
            for workspace in workspaces
        ],
        "signup_url": public_site_url("/signup/"),
    }
    with translation.override(language):
        subject = render_to_string("onboarding/email/workspace_list_subject.txt", context).strip()
        body = render_to_string("onboarding/email/workspace_list_body.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [email])
