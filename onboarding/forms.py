"""Forms of the public site: signup and find-my-workspace."""

from django import forms
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from tenants.forms import TimeZoneField
from tenants.regional import guess_region
from tenants.validators import SUBDOMAIN_MAX_LENGTH, normalize_subdomain, validate_subdomain


class SignupForm(forms.Form):
    """The public signup: a business, its address, its owner, its region.

    The region (country, time zone) starts as a guess from the page's language and
    the browser's time zone (sent by kartoteka/signup.js) and stays editable.
    """

    name = forms.CharField(label=_("Business name"), max_length=100)
    subdomain = forms.CharField(
        label=_("Workspace address"),
        max_length=SUBDOMAIN_MAX_LENGTH,
        help_text=_("Latin letters, digits and hyphens. You can't change it later."),
    )
    full_name = forms.CharField(
        label=_("Your name"),
        max_length=150,
        # Not enforced, so scripted signups keep working; the page asks for it.
        required=False,
        help_text=_("How your team will see you, e.g. Olena Koval."),
    )
    email = forms.EmailField(label=_("Your e-mail"))
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        # Kept after a validation error elsewhere on the form: retyping it is a chore.
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}, render_value=True),
        help_text=_("At least 8 characters, not only digits."),
    )
    country = forms.ChoiceField(
        label=_("Country"),
        choices=lambda: list(countries),
        required=False,
        help_text=_("Phone numbers without a country code are read as numbers of this country."),
    )
    time_zone = TimeZoneField(label=_("Time zone"), required=False)
    browser_time_zone = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(
        self,
        *args: object,
        language: str = "",
        accept_language: str = "",
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.language = language or settings.LANGUAGE_CODE
        self.accept_language = accept_language
        region = guess_region(language=self.language, accept_language=accept_language)
        self.fields["country"].initial = region.country
        self.fields["time_zone"].initial = region.time_zone
        self.fields["subdomain"].widget.attrs.update(
            {"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"}
        )
        self.fields["name"].widget.attrs.update({"autofocus": True})
        self.fields["full_name"].widget.attrs.update({"autocomplete": "name"})
        self.fields["email"].widget.attrs.update({"autocomplete": "email"})
        self.platform_domain = settings.PLATFORM_DOMAIN
        self.platform_port = settings.PLATFORM_PORT

    def focus_first_error(self) -> None:
        """Put the cursor in the first field that needs fixing (not the first field)."""
        for field in self.fields.values():
            field.widget.attrs.pop("autofocus", None)
        for name in self.fields:
            if name in self.errors:
                self.fields[name].widget.attrs["autofocus"] = True
                self.first_error_field = name
                return

    def clean_time_zone(self) -> str:
        return str(self.cleaned_data.get("time_zone") or "")

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
        # Left empty (no script, or an old form): guess as the form would have shown.
        if not cleaned.get("country") or not cleaned.get("time_zone"):
            region = guess_region(
                language=self.language,
                browser_time_zone=str(cleaned.get("browser_time_zone") or ""),
                accept_language=self.accept_language,
            )
            cleaned["country"] = cleaned.get("country") or region.country
            cleaned["time_zone"] = cleaned.get("time_zone") or region.time_zone
        return cleaned


class FindWorkspaceForm(forms.Form):
    email = forms.EmailField(label=_("Your e-mail"))


class PublicLoginForm(forms.Form):
    """The public site's "Log in": a workspace address, or an e-mail to find it by."""

    address = forms.CharField(
        label=_("Workspace address or your e-mail"),
        max_length=254,
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["address"].help_text = _(
            "For example romashka, romashka.%(domain)s or you@example.com."
        ) % {"domain": settings.PLATFORM_DOMAIN}
        self.fields["address"].widget.attrs.update(
            {
                "autofocus": True,
                "autocomplete": "username",
                "autocapitalize": "none",
                "spellcheck": "false",
            }
        )

    def clean_address(self) -> str:
        return str(self.cleaned_data["address"]).strip()

    @property
    def is_email(self) -> bool:
        return "@" in self.cleaned_data.get("address", "")

    def subdomain(self) -> str:
        """The subdomain typed, from "acme", "acme.example.com" or "https://acme.example.com/x"."""
        text = self.cleaned_data["address"].lower()
        text = text.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0].strip(".")
        suffix = f".{settings.PLATFORM_DOMAIN}".lower()
        if text.endswith(suffix):
            text = text[: -len(suffix)]
        return normalize_subdomain(text)
