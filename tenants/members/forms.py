"""Forms of the workspace's member and settings pages."""

from typing import Any

from django import forms
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from tenants.forms import TimeZoneField
from tenants.members.models import Role, User
from tenants.members.permissions import assignable_roles
from tenants.models import Language


class InviteMemberForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"))
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.MEMBER)

    def __init__(self, *args: Any, acting_user: User | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if acting_user is not None:
            # Admins cannot invite owners: do not offer it (the action refuses it too).
            self.fields["role"].choices = assignable_roles(acting_user)  # type: ignore[attr-defined]


class ChangeRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class AcceptInvitationForm(forms.Form):
    full_name = forms.CharField(label=_("Your name"), max_length=150)
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("Password (again)"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two passwords do not match."))
        elif first:
            try:
                validate_password(str(first))
            except ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class WorkspaceSettingsForm(forms.Form):
    name = forms.CharField(label=_("Workspace name"), max_length=100)
    default_country = forms.ChoiceField(
        label=_("Default country"),
        choices=lambda: list(countries),
        help_text=_("Phone numbers without a country code are read as numbers of this country."),
    )
    time_zone = TimeZoneField(label=_("Time zone"))
    default_language = forms.ChoiceField(
        label=_("Default language"),
        choices=Language.choices,
        help_text=_("For e-mails and for members who have not chosen a language."),
    )


class MemberTimeZoneForm(forms.Form):
    """A member's own time zone; empty means the workspace's."""

    time_zone = TimeZoneField(label=_("My time zone"), required=False)

    def __init__(self, *args: Any, workspace_zone_label: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["time_zone"]
        workspace_choice = (
            _("The workspace's: %(zone)s") % {"zone": workspace_zone_label}
            if workspace_zone_label
            else _("The workspace's")
        )
        field.choices = [("", workspace_choice), *field.choices]  # type: ignore[attr-defined]
        field.help_text = _(
            "Times of tasks, reminders and the timeline are shown to you in this zone. "
            "Due times are still set in the workspace's zone."
        )
