"""Region and language follow the signup; one language rule everywhere; dates and zones."""

import datetime

import pytest
from django.test import Client
from django.utils import formats, translation
from django_tenants.utils import schema_context

from tenants.members.models import User
from tenants.models import Workspace
from tenants.regional import guess_region, time_zone_choices, zone_label
from tests.conftest import PASSWORD, host_of

SIGNUP = {
    "name": "Ромашка",
    "subdomain": "romashka",
    "full_name": "Олена Коваль",
    "email": "olena@romashka.example.com",
    "password": "correct-horse-battery-staple",
}


def _signup(language: str, **extra: str) -> tuple[Client, object]:
    visitor = Client(HTTP_HOST="localhost")
    visitor.cookies["kartoteka_language"] = language
    response = visitor.post("/signup/", {**SIGNUP, **extra})
    return visitor, response


@pytest.mark.parametrize(
    ("language", "browser_zone", "country", "zone"),
    [
        ("uk", "", "UA", "Europe/Kyiv"),
        ("ru", "", "RU", "Europe/Moscow"),
        ("en", "Europe/Kyiv", "UA", "Europe/Kyiv"),
        ("en", "Europe/Kiev", "UA", "Europe/Kyiv"),
        ("ru", "Asia/Almaty", "KZ", "Asia/Almaty"),
    ],
)
def test_signup_guesses_country_and_time_zone_from_language_and_browser(
    platform, language, browser_zone, country, zone
):
    _visitor, response = _signup(language, browser_time_zone=browser_zone)

    assert response.status_code == 200, "the hand-off page"
    workspace = Workspace.objects.get(subdomain="romashka")
    assert (str(workspace.default_country), workspace.time_zone) == (country, zone)
    assert workspace.default_language == language
    with schema_context(workspace.schema_name):
        owner = User.objects.get()
        assert owner.full_name == "Олена Коваль"
        assert owner.language == language, "the signup's language is the owner's choice"


def test_signup_keeps_the_region_the_person_chose(platform):
    _signup("uk", country="PL", time_zone="Europe/Warsaw", browser_time_zone="Europe/Kyiv")

    workspace = Workspace.objects.get(subdomain="romashka")
    assert (str(workspace.default_country), workspace.time_zone) == ("PL", "Europe/Warsaw")


@pytest.mark.parametrize(
    ("language", "country", "zone", "label"),
    [
        ("uk", "UA", "Europe/Kyiv", "Київ"),
        ("ru", "RU", "Europe/Moscow", "Москва"),
        ("en", "GB", "Europe/London", "London"),
    ],
)
def test_signup_form_shows_the_guessed_region_in_the_page_language(
    platform, language, country, zone, label
):
    visitor = Client(HTTP_HOST="localhost")
    visitor.cookies["kartoteka_language"] = language

    response = visitor.get("/signup/")

    page = response.content.decode()
    form = response.context["form"]
    assert form["country"].value() == country
    assert form["time_zone"].value() == zone
    assert f'<option value="{zone}" selected data-country="{country}">{label} · UTC' in page
    assert 'src="/static/kartoteka/signup.js"' in page


def test_english_signup_uses_the_browsers_region_from_accept_language(platform):
    region = guess_region(language="en", accept_language="en-US,en;q=0.9")
    assert region.country == "US"


def test_signup_shows_the_address_with_its_port_in_development(platform, settings):
    settings.PLATFORM_PORT = "8107"
    response = Client(HTTP_HOST="localhost").get("/signup/")
    assert '<span id="address-suffix">.localhost:8107</span>' in response.content.decode()


def test_signup_error_keeps_the_password_and_focuses_the_wrong_field(platform, make_workspace):
    make_workspace("romashka")
    _visitor, response = _signup("en")

    form = response.context["form"]
    assert "subdomain" in form.errors
    page = response.content.decode()
    assert 'value="correct-horse-battery-staple"' in page, "the password is kept"
    assert "autofocus" not in str(form["name"]), "focus left the first field"
    assert 'autofocus aria-invalid="true"' in page, "the address field has the focus"


def test_signup_error_on_the_password_focuses_the_password(platform):
    _visitor, response = _signup("en", password="123")
    assert "autofocus" in str(response.context["form"]["password"])


def test_time_zone_list_is_common_first_localised_with_offsets_and_no_aliases():
    with translation.override("uk"):
        choices = time_zone_choices()
    (_common_label, common), (_other_label, others) = choices
    names = [name for name, _label in common] + [name for name, _label in others]
    assert names[0] == "Europe/Kyiv"
    assert "Europe/Kiev" not in names
    assert "Europe/Kyiv" in names
    assert len(names) == len(set(names))
    assert dict(common)["Europe/Kyiv"].startswith("Київ · UTC+0")
    with translation.override("ru"):
        assert zone_label("Europe/Kiev").startswith("Киев · UTC+0")


@pytest.mark.parametrize(
    ("language", "long", "short"),
    [
        ("en", "6 Dec 2026", "6 Dec 2026"),
        ("uk", "6 грудня 2026", "06.12.2026"),
        ("ru", "6 декабря 2026", "06.12.2026"),
    ],
)
def test_dates_are_unambiguous_in_every_language(language, long, short):
    day = datetime.date(2026, 12, 6)
    with translation.override(language):
        assert formats.date_format(day) == long
        assert formats.date_format(day, "SHORT_DATE_FORMAT") == short
        assert "12/06" not in formats.date_format(
            datetime.datetime(2026, 12, 6, 9, 5, tzinfo=datetime.UTC), "SHORT_DATETIME_FORMAT"
        )


def test_language_switch_names_each_language_in_itself(platform):
    page = Client(HTTP_HOST="localhost").get("/").content.decode()
    for name in ("Українська", "Русский", "English"):
        assert f">{name}</button>" in page
    assert ">UK</button>" not in page


def test_workspace_settings_offer_the_localised_zone_list(workspace, owner_client):
    with schema_context(workspace.workspace.schema_name):
        Workspace.objects.filter(pk=workspace.workspace.pk).update(time_zone="Europe/Kiev")
    owner_client.cookies["kartoteka_language"] = "uk"

    page = owner_client.get("/settings/workspace/").content.decode()

    assert 'value="Europe/Kiev"' not in page
    assert 'value="Europe/Kyiv" selected data-country="UA"' in page


# ---------------------------------------------------------------- the language rule


def test_language_chosen_on_the_public_site_carries_into_the_workspace_login(workspace):
    visitor = Client(HTTP_HOST="localhost")
    visitor.cookies["kartoteka_language"] = "uk"

    response = visitor.post("/login/", {"address": "acme"})

    assert response.status_code == 302
    assert response["Location"] == "http://acme.localhost:8000/accounts/login/?lang=uk"
    browser = Client(HTTP_HOST=host_of(workspace))
    page = browser.get("/accounts/login/?lang=uk")
    assert '<html lang="uk">' in page.content.decode()
    assert browser.cookies["kartoteka_language"].value == "uk"


def test_language_chosen_on_the_login_page_wins_over_the_saved_one_and_is_saved(workspace):
    with schema_context(workspace.workspace.schema_name):
        User.objects.filter(pk=workspace.owner.pk).update(language="ru")
    browser = Client(HTTP_HOST=host_of(workspace))
    browser.post("/settings/language/", {"language": "uk", "next": "/accounts/login/"})

    browser.post("/accounts/login/", {"login": workspace.owner.email, "password": PASSWORD})
    home = browser.get("/")

    assert '<html lang="uk">' in home.content.decode()
    with schema_context(workspace.workspace.schema_name):
        assert User.objects.get(pk=workspace.owner.pk).language == "uk"


def test_saved_preference_applies_when_nothing_was_chosen_now(workspace):
    with schema_context(workspace.workspace.schema_name):
        User.objects.filter(pk=workspace.owner.pk).update(language="ru")
    browser = Client(HTTP_HOST=host_of(workspace))

    browser.post("/accounts/login/", {"login": workspace.owner.email, "password": PASSWORD})

    assert '<html lang="ru">' in browser.get("/").content.decode()


def test_lang_parameter_updates_a_logged_in_members_preference(workspace, owner_client):
    owner_client.get("/?lang=uk")
    with schema_context(workspace.workspace.schema_name):
        assert User.objects.get(pk=workspace.owner.pk).language == "uk"
    assert '<html lang="uk">' in owner_client.get("/").content.decode()
