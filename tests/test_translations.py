"""Every interface string ships in Russian and Ukrainian, compiled."""

import gettext
from pathlib import Path

import polib
import pytest
from django.conf import settings

LOCALE_DIR = Path(settings.BASE_DIR) / "locale"
TRANSLATED_LANGUAGES = ["ru", "uk"]


@pytest.mark.parametrize("language", TRANSLATED_LANGUAGES)
def test_every_string_is_translated(language):
    catalog = polib.pofile(str(LOCALE_DIR / language / "LC_MESSAGES" / "django.po"))

    untranslated = [entry.msgid for entry in catalog.untranslated_entries()]
    fuzzy = [entry.msgid for entry in catalog.fuzzy_entries()]

    assert untranslated == [], f"untranslated in {language}: {untranslated}"
    assert fuzzy == [], f"fuzzy (unchecked) in {language}: {fuzzy}"


@pytest.mark.parametrize("language", TRANSLATED_LANGUAGES)
def test_compiled_catalog_matches_the_source(language):
    folder = LOCALE_DIR / language / "LC_MESSAGES"
    source = polib.pofile(str(folder / "django.po"))
    with (folder / "django.mo").open("rb") as compiled_file:
        compiled = gettext.GNUTranslations(compiled_file)

    def compiled_text(entry: polib.POEntry) -> str:
        if entry.msgid_plural:  # the first form (a plural entry has no plain msgstr)
            return compiled.ngettext(entry.msgid, entry.msgid_plural, 1)
        return compiled.gettext(entry.msgid)

    stale = [
        entry.msgid
        for entry in source.translated_entries()
        if compiled_text(entry) != (entry.msgstr_plural[0] if entry.msgid_plural else entry.msgstr)
    ]

    assert stale == [], f"run `make messages`: {language} .mo is older than .po for {stale}"


@pytest.mark.parametrize(
    ("language", "heading"),
    [
        ("ru", "Клиенты, сделки и задачи в одном месте"),
        ("uk", "Клієнти, угоди та завдання в одному місці"),
        ("en", "Your clients, deals and tasks in one place"),
    ],
)
@pytest.mark.django_db
def test_public_site_speaks_the_chosen_language(platform, public_client, language, heading):
    public_client.cookies[settings.LANGUAGE_COOKIE_NAME] = language

    response = public_client.get("/")

    assert heading in response.content.decode()
    assert f'lang="{language}"' in response.content.decode()
