"""Every interface string ships in Russian and Ukrainian, compiled, in our words.

The account library's (allauth's) strings are checked where people meet them: every
account page the product uses is rendered in uk, ru and en and read as a person would.
allauth ships English left in Ukrainian ("Email:"), English-style Title Case ("Змінити
Пароль"), "аутентифікація" where we say "автентифікація", Russian mixing "Вы" and "вы",
English mixing "E-mail"/"Email" and "Log in"/"Sign In"; our catalogues override them
(saas_platform/library_strings.py).
"""

import gettext
import re
from html.parser import HTMLParser
from pathlib import Path

import polib
import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.test import Client
from django_tenants.utils import schema_context

from tests.conftest import PASSWORD, host_of

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
            if entry.msgctxt:
                return compiled.npgettext(entry.msgctxt, entry.msgid, entry.msgid_plural, 1)
            return compiled.ngettext(entry.msgid, entry.msgid_plural, 1)
        if entry.msgctxt:
            return compiled.pgettext(entry.msgctxt, entry.msgid)
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


# ---------------------------------------------------------------- the account library's pages

BACKEND = "allauth.account.auth_backends.AuthenticationBackend"
ANONYMOUS_PAGES = [
    "/accounts/login/",
    "/accounts/password/reset/",
    "/accounts/password/reset/done/",
    "/accounts/password/reset/key/1-bad-key/",
    "/accounts/inactive/",
    "/accounts/confirm-email/",
    "/accounts/confirm-email/bad-key/",
]
MEMBER_PAGES = [
    "/accounts/email/",
    "/accounts/password/change/",
    "/accounts/2fa/",
    "/accounts/2fa/totp/activate/",
    "/accounts/2fa/recovery-codes/generate/",
    "/accounts/reauthenticate/",
    "/accounts/logout/",
    "/account/",
    "/",
]
CYRILLIC_WORD = r"[\u0400-\u04ff']{2,}"
INFORMAL_RUSSIAN = r"(?<![\u0400-\u04ff])(вы|вас|вам|вами|ваш\w*)(?![\u0400-\u04ff])"
# Latin words a Ukrainian or Russian page may show.
ALLOWED_LATIN = {
    "kartoteka",
    "e-mail",
    "utc",
    "acme",
    "qr",
    "owner",
    "example",
    "com",
    "localhost",
    "crm",  # "CRM" is the word in Russian and Ukrainian too (the import step of the checklist)
}


class _VisibleText(HTMLParser):
    """Text a person reads in <main>: text nodes, labels, placeholders, button values."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.skip = 0
        self.in_place_names = 0
        self.parts: list[str] = []
        # Options of a list of place names (time zones: "Буэнос-Айрес (Америка)"): proper
        # names are capitalised, so only the "untranslated" rule applies to them.
        self.place_names: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "main":
            self.depth += 1
        if tag in ("script", "style"):
            self.skip += 1
        if tag == "select" and "data-place-names" in dict(attrs):
            self.in_place_names += 1
        if self.depth:
            values = dict(attrs)
            for name in ("placeholder", "aria-label", "title"):
                if values.get(name):
                    self.parts.append(str(values[name]))
            if (
                tag == "input"
                and values.get("type") in ("submit", "button")
                and values.get("value")
            ):
                self.parts.append(str(values["value"]))

    def handle_endtag(self, tag: str) -> None:
        if tag == "main":
            self.depth -= 1
        if tag in ("script", "style"):
            self.skip -= 1
        if tag == "select" and self.in_place_names:
            self.in_place_names -= 1

    def handle_data(self, data: str) -> None:
        if self.depth and not self.skip and data.strip():
            into = self.place_names if self.in_place_names else self.parts
            into.append(" ".join(data.split()))


def visible_texts(html: str, *, place_names: bool = False) -> list[str]:
    parser = _VisibleText()
    parser.feed(html)
    return parser.place_names if place_names else parser.parts


def _untranslated(language: str, text: str) -> bool:
    without_addresses = re.sub(r"\S+@\S+|\S+\.localhost\S*|https?://\S+", "", text)
    return language in ("uk", "ru") and any(
        word.lower() not in ALLOWED_LATIN
        for word in re.findall(r"[A-Za-z]+(?:-[A-Za-z]+)*", without_addresses)
    )


def _problems(language: str, texts: list[str]) -> list[str]:
    problems = []
    for text in texts:
        if language in ("uk", "ru"):
            if _untranslated(language, text):
                problems.append(f"untranslated: {text!r}")
            words = re.findall(CYRILLIC_WORD, text)
            if len(words) >= 2 and all(word[0].isupper() for word in words):
                problems.append(f"Title Case: {text!r}")
        if language == "uk" and re.search(r"аутентифікац", text, re.IGNORECASE):
            problems.append(f"'аутентифікація' instead of 'автентифікація': {text!r}")
        if language == "ru" and re.search(INFORMAL_RUSSIAN, text):
            problems.append(f"informal lowercase 'вы': {text!r}")
        if language == "en" and re.search(r"\bEmail\b|\bSign In\b|\bSign in\b|\bLog In\b", text):
            problems.append(f"not our English words: {text!r}")
        if "Email:" in text:
            problems.append(f"'Email:': {text!r}")
    return problems


def _page_problems(client: Client, language: str, path: str) -> list[str]:
    response = client.get(path, follow=True)
    assert response.status_code in (200, 404), (path, response.status_code)
    html = response.content.decode()
    return [f"{path}: {problem}" for problem in _problems(language, visible_texts(html))] + [
        f"{path}: untranslated place name: {name!r}"
        for name in visible_texts(html, place_names=True)
        if _untranslated(language, name)
    ]


@pytest.mark.parametrize("language", ["uk", "ru", "en"])
@pytest.mark.django_db
def test_account_pages_for_visitors_are_in_our_words(workspace, language):
    client = Client(HTTP_HOST=host_of(workspace))
    client.cookies["kartoteka_language"] = language

    problems = [
        problem for path in ANONYMOUS_PAGES for problem in _page_problems(client, language, path)
    ]

    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("language", ["uk", "ru", "en"])
@pytest.mark.django_db
def test_account_pages_for_members_are_in_our_words(workspace, language):
    client = Client(HTTP_HOST=host_of(workspace))
    with schema_context(workspace.workspace.schema_name):
        workspace.owner.language = language
        workspace.owner.save(update_fields=["language"])
        EmailAddress.objects.filter(user=workspace.owner).update(verified=True)
    client.post("/accounts/login/", {"login": workspace.owner.email, "password": PASSWORD})
    client.post("/accounts/reauthenticate/", {"password": PASSWORD})

    problems = [
        problem for path in MEMBER_PAGES for problem in _page_problems(client, language, path)
    ]

    assert problems == [], "\n".join(problems)
