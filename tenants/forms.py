"""Form fields shared by the public signup and the workspace settings."""

from django import forms

from tenants.regional import canonical_zone, time_zone_choices, zone_countries


class TimeZoneSelect(forms.Select):
    """A time-zone <select> whose options carry their country, for the signup's script.

    `data-place-names`: its options are place names (tests/test_translations.py checks them
    for untranslated words only; proper names are capitalised).
    """

    def __init__(self, attrs: dict[str, object] | None = None, **kwargs: object) -> None:
        super().__init__({"data-place-names": "", **(attrs or {})}, **kwargs)  # type: ignore[arg-type]

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        country = zone_countries().get(str(value), "")
        if country:
            option["attrs"]["data-country"] = country
        return option


class TimeZoneField(forms.ChoiceField):
    """A canonical IANA time zone, offered common-first with localised names and offsets."""

    widget = TimeZoneSelect

    def __init__(self, **kwargs: object) -> None:
        super().__init__(choices=time_zone_choices, **kwargs)  # type: ignore[arg-type]

    def to_python(self, value: object) -> str:
        text = super().to_python(value)
        return canonical_zone(text) or text
