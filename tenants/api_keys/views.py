"""The workspace's API keys page: list, create (the key shown once), revoke."""

from typing import cast

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from tenants.api_keys import actions
from tenants.api_keys.forms import CreateApiKeyForm
from tenants.api_keys.models import ApiKey
from tenants.api_keys.selectors import api_keys_for_list
from tenants.members.models import User
from tenants.members.permissions import workspace_admin_required


def _member(request: HttpRequest) -> User:
    return cast(User, request.user)


@workspace_admin_required
def api_key_list(request: HttpRequest) -> HttpResponse:
    """List the keys; a valid POST creates one and shows its secret on this response only.

    The secret is rendered straight into the response (not a redirect through the
    session), so it is never stored anywhere on our side.
    """
    form = CreateApiKeyForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        try:
            created = actions.create_api_key(
                acting_user=_member(request),
                name=form.cleaned_data["name"],
                scope=form.cleaned_data["scope"],
                can_export=form.cleaned_data["can_export"],
            )
        except ValidationError as error:
            for field, field_errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, field_errors)
        except PermissionDenied as error:
            form.add_error(None, str(error))
        else:
            form = CreateApiKeyForm()
    response = render(
        request,
        "api_keys/api_key_list.html",
        {"api_keys": api_keys_for_list(), "form": form, "created": created},
    )
    if created is not None:
        response["Cache-Control"] = "no-store"
    return response


@workspace_admin_required
def revoke(request: HttpRequest, key_id: int) -> HttpResponse:
    """GET asks for confirmation (a page of its own, usable without JavaScript); POST revokes."""
    api_key = get_object_or_404(ApiKey.objects.select_related("created_by"), pk=key_id)
    if request.method != "POST":
        return render(request, "api_keys/api_key_revoke.html", {"api_key": api_key})
    try:
        actions.revoke_api_key(acting_user=_member(request), api_key=api_key)
    except PermissionDenied as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _('The key "%(name)s" is revoked; requests with it are refused from now on.')
            % {"name": api_key.name},
        )
    return redirect("api_keys")
