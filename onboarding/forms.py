"""Forms of the public site: signup and find-my-workspace."""

from django import forms
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from tenants.validators import SUBDOMAIN_MAX_LENGTH, normalize_subdomain, validate_subdomain


class SignupForm(forms.Form):
    name = forms.CharField(label=_("Business name"), max_length=100)
    subdomain = forms.CharField(
        label=_("Workspace address"),
        max_length=SUBDOMAIN_MAX_LENGTH,
        help_text=_("Latin letters, digits and hyphens. You can't change it later."),
    )
    email = forms.EmailField(label=_("Your e-mail"))
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 8 characters, not only digits."),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["subdomain"].widget.attrs.update(
            {"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"}
        )
        self.fields["name"].widget.attrs.update({"autofocus": True})
        self.platform_domain = settings.PLATFORM_DOMAIN

    def clean_subdomain(self) -> str:
        subdomain = normalize_subdomain(self.cleaned_data["subdomain"])
        validate_subdomain(subdomain)
        return subdomain

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip()

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        password = cleaned.get("password")
        if password:
            try:
                validate_password(str(password))
            except ValidationError as error:
                self.add_error("password", error)
        return cleaned


class FindWorkspaceForm(forms.Form):
    email = forms.EmailField(label=_("Your e-mail"))
