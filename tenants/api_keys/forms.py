"""The form of the API keys page."""

from django import forms
from django.utils.translation import gettext_lazy as _

from tenants.api_keys.models import ApiKey, ApiKeyScope


class CreateApiKeyForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=ApiKey._meta.get_field("name").max_length,
        help_text=_('What the key is for, e.g. "Website form". History shows it.'),
    )
    scope = forms.ChoiceField(
        label=_("Access"),
        choices=ApiKeyScope.choices,
        initial=ApiKeyScope.READ,
        widget=forms.RadioSelect,
    )
    can_export = forms.BooleanField(
        label=_("May also export"),
        required=False,
        help_text=_(
            "Lets the key download whole tables (contacts, companies, deals, timeline, "
            "tasks) as files through the API. Every export is recorded."
        ),
    )
