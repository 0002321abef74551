"""Signup when people mistype, repeat themselves, or pick an address someone else has."""

import threading

import pytest
from django.db import connections
from django.test import Client
from django_tenants.utils import schema_context

from tenants.members.models import Role, User
from tenants.models import Workspace
from tests.handoff import handoff_of

PASSWORD = "correct-horse-battery-staple"


def _signup_data(**overrides: str) -> dict[str, str]:
    data = {
        "name": "Acme Ltd",
        "subdomain": "acme",
        "email": "boss@acme.example.com",
        "password": PASSWORD,
    }
    data.update(overrides)
    return data


def _errors_of(response) -> str:  # type: ignore[no-untyped-def]
    """Every error the signup form shows, as one text."""
    form = response.context["form"]
    return " ".join(message for messages in form.errors.values() for message in messages)


def _customer_workspace_count() -> int:
    return Workspace.objects.filter(kind=Workspace.Kind.CUSTOMER).count()


@pytest.mark.django_db
def test_taken_subdomain_shows_a_clear_message_and_creates_no_second_workspace(
    make_workspace, visitor
):
    make_workspace("acme", name="The First Acme", owner_email="first@acme.example.com")

    response = visitor.post(
        "/signup/", _signup_data(name="Second Acme", email="second@example.com")
    )

    assert response.status_code == 200
    assert response.context["form"].errors["subdomain"] == [
        "The address “acme” is already taken. Please choose another one."
    ]
    assert "is already taken" in response.content.decode()
    assert list(Workspace.objects.filter(subdomain="acme").values_list("name", flat=True)) == [
        "The First Acme"
    ]
    assert _customer_workspace_count() == 1


@pytest.mark.django_db
def test_taken_subdomain_in_other_letter_case_is_still_taken(make_workspace, visitor):
    make_workspace("acme", owner_email="first@acme.example.com")

    response = visitor.post("/signup/", _signup_data(subdomain="ACME", email="x@example.com"))

    assert response.status_code == 200
    assert "is already taken" in _errors_of(response)
    assert _customer_workspace_count() == 1


@pytest.mark.django_db
def test_signup_with_the_same_owner_but_another_password_does_not_enter_a_taken_workspace(
    make_workspace, visitor
):
    make_workspace("acme", owner_email="boss@acme.example.com", password=PASSWORD)

    response = visitor.post("/signup/", _signup_data(password="another-long-passphrase"))

    assert response.status_code == 200
    assert "is already taken" in _errors_of(response)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "subdomain", ["www", "admin", "api", "app", "static", "mail", "WWW", "template"]
)
def test_reserved_subdomain_is_rejected(platform, visitor, subdomain):
    response = visitor.post("/signup/", _signup_data(subdomain=subdomain))

    assert response.status_code == 200
    assert response.context["form"].errors["subdomain"] == [
        f"The address “{subdomain.lower()}” is reserved. Please choose another one."
    ]
    assert _customer_workspace_count() == 0


INVALID_CHARACTERS = (
    "Use only Latin letters a-z, digits and hyphens; the address cannot start or end with a hyphen."
)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("subdomain", "message"),
    [
        ("my shop", INVALID_CHARACTERS),
        ("my_shop", INVALID_CHARACTERS),
        ("магазин", INVALID_CHARACTERS),
        ("shop.acme", INVALID_CHARACTERS),
        ("-shop", INVALID_CHARACTERS),
        ("shop-", INVALID_CHARACTERS),
        ("my--shop", "The address cannot contain two hyphens in a row."),
        ("ab", "The address must be at least 3 characters long."),
        ("a" * 41, "Ensure this value has at most 40 characters (it has 41)."),
        ("", "This field is required."),
    ],
)
def test_malformed_subdomain_is_rejected_with_a_clear_message(
    platform, visitor, subdomain, message
):
    response = visitor.post("/signup/", _signup_data(subdomain=subdomain))

    assert response.status_code == 200
    assert response.context["form"].errors["subdomain"] == [message]
    assert _customer_workspace_count() == 0


@pytest.mark.django_db
def test_subdomain_of_exactly_forty_characters_is_accepted(platform, visitor):
    subdomain = "a" * 40

    response = visitor.post("/signup/", _signup_data(subdomain=subdomain))

    handoff_of(response)
    assert Workspace.objects.filter(subdomain=subdomain).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short1", "This password is too short. It must contain at least 8 characters."),
        ("12345678901", "This password is entirely numeric."),
        ("password123", "This password is too common."),
    ],
)
def test_weak_password_is_rejected(platform, visitor, password, message):
    response = visitor.post("/signup/", _signup_data(password=password))

    assert response.status_code == 200
    assert message in response.context["form"].errors["password"]
    assert _customer_workspace_count() == 0


@pytest.mark.django_db
def test_password_like_the_email_is_rejected_and_nothing_is_created(platform, visitor):
    response = visitor.post(
        "/signup/",
        _signup_data(email="anna.petrova@example.com", password="anna.petrova"),
    )

    assert response.status_code == 200
    assert "The password is too similar to the e-mail." in _errors_of(response)
    assert _customer_workspace_count() == 0


@pytest.mark.django_db
def test_same_email_can_own_two_workspaces(platform, visitor):
    first = visitor.post(
        "/signup/", _signup_data(name="Acme", subdomain="acme", email="boss@example.com")
    )
    second = visitor.post(
        "/signup/", _signup_data(name="Acme Two", subdomain="acme-two", email="boss@example.com")
    )

    handoff_of(first)
    assert handoff_of(second)[0] == "http://acme-two.localhost:8000/welcome/"
    workspaces = Workspace.objects.filter(kind=Workspace.Kind.CUSTOMER).order_by("subdomain")
    assert [workspace.subdomain for workspace in workspaces] == ["acme", "acme-two"]
    for workspace in workspaces:
        with schema_context(workspace.schema_name):
            owner = User.objects.get()
            assert (owner.email, owner.role) == ("boss@example.com", Role.OWNER)


@pytest.mark.django_db
def test_repeated_identical_signup_says_taken_and_links_to_the_workspace_login(platform, visitor):
    first = visitor.post("/signup/", _signup_data())

    second = visitor.post("/signup/", _signup_data())

    handoff_of(first)
    assert second.status_code == 200
    assert "is already taken" in _errors_of(second)
    assert 'href="http://acme.localhost:8000/accounts/login/"' in second.content.decode()
    assert "/welcome/" not in second.content.decode()
    assert Workspace.objects.filter(subdomain="acme").count() == 1
    with schema_context(Workspace.objects.get(subdomain="acme").schema_name):
        assert User.objects.count() == 1


def _post_signups_at_once(forms: list[dict[str, str]]) -> list:  # type: ignore[type-arg]
    """POST each form from its own thread (own connection, own transaction), all at once."""
    start = threading.Barrier(len(forms))
    responses: list = [None] * len(forms)  # type: ignore[type-arg]
    failures: list[BaseException] = []

    def post(index: int, data: dict[str, str]) -> None:
        try:
            start.wait(timeout=10)
            responses[index] = Client(HTTP_HOST="localhost", HTTP_ACCEPT_LANGUAGE="en").post(
                "/signup/", data
            )
        except BaseException as error:
            failures.append(error)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=post, args=(index, data)) for index, data in enumerate(forms)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures, failures
    return responses


def test_concurrent_double_submit_creates_one_workspace(
    platform, drop_new_workspace_schemas, transactional_db
):
    responses = _post_signups_at_once([_signup_data(), _signup_data()])

    assert Workspace.objects.filter(subdomain="acme").count() == 1
    workspace = Workspace.objects.get(subdomain="acme")
    with schema_context(workspace.schema_name):
        assert User.objects.count() == 1
    pages = [response.content.decode() for response in responses]
    assert all(response.status_code == 200 for response in responses)
    assert sorted("data-auto-submit" in page for page in pages) == [False, True]
    assert any("is already taken" in page for page in pages)


def test_concurrent_signups_for_different_addresses_both_succeed(
    platform, drop_new_workspace_schemas, transactional_db
):
    # Provisioning takes no platform-wide lock: two clones run side by side.
    responses = _post_signups_at_once(
        [
            _signup_data(name="Acme", subdomain="acme", email="boss@acme.example.com"),
            _signup_data(name="Globex", subdomain="globex", email="boss@globex.example.com"),
        ]
    )

    assert [handoff_of(response)[0] for response in responses] == [
        "http://acme.localhost:8000/welcome/",
        "http://globex.localhost:8000/welcome/",
    ]
    assert set(
        Workspace.objects.filter(kind=Workspace.Kind.CUSTOMER).values_list("subdomain", flat=True)
    ) == {"acme", "globex"}
