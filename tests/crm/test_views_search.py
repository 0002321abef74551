"""The one search box: live results by name, phone suffix and e-mail, what matched, the
only-own rule, and the page without JavaScript."""

import pytest

from tests.crm.views_helpers import browser_for, text_of

pytestmark = pytest.mark.django_db


def test_search_box_finds_a_client_by_the_last_digits_of_the_phone(
    in_workspace, owner, make_contact
):
    contact = make_contact(owner, surname="Иванова", phones=["+7 916 123-45-67"])

    response = browser_for(in_workspace, owner).get(
        "/search/", {"q": "4567"}, headers={"HX-Request": "true"}
    )

    html = text_of(response)
    assert f'href="/contacts/{contact.pk}/"' in html
    assert 'role="option"' in html
    assert "Phone" in html  # what matched
    assert "<html" not in html  # a fragment for the box


def test_search_page_without_javascript_lists_hits_by_name(in_workspace, owner, make_company):
    company = make_company(owner, name="Ромашка")

    html = text_of(browser_for(in_workspace, owner).get("/search/", {"q": "ромашк"}))

    assert "<html" in html
    assert f'href="/companies/{company.pk}/"' in html


def test_search_shows_a_member_who_sees_only_own_nothing_of_others(
    in_workspace, owner, member, only_own, make_contact
):
    make_contact(owner, surname="Чужая", phones=["+7 916 555-44-33"])
    mine = make_contact(member, surname="Своя", phones=["+7 916 555-44-34"])

    html = text_of(
        browser_for(in_workspace, member).get(
            "/search/", {"q": "5554433"}, headers={"HX-Request": "true"}
        )
    )
    mine_html = text_of(browser_for(in_workspace, member).get("/search/", {"q": "Своя"}))

    assert "Чужая" not in html
    assert "Nothing found" in html
    assert f'href="/contacts/{mine.pk}/"' in mine_html


def test_every_workspace_page_has_the_search_box(in_workspace, owner):
    html = text_of(browser_for(in_workspace, owner).get("/"))

    assert 'id="global-search"' in html
    assert 'hx-get="/search/"' in html
