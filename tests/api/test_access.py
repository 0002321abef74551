"""The access rule through the API: a key sees what its member sees, nothing more."""

import pytest

from crm.actions import clients as actions
from tests.api.conftest import ApiClient, assert_error, fresh_owner, inside, member_with_key

pytestmark = pytest.mark.django_db


@pytest.fixture
def only_own(workspace):  # type: ignore[no-untyped-def]
    with inside(workspace):
        actions.update_crm_settings(acting_user=fresh_owner(workspace), members_see_only_own=True)


@pytest.fixture
def masha(workspace):  # type: ignore[no-untyped-def]
    """A plain member with a read-and-write key (the key acts as her)."""
    member, key = member_with_key(workspace, email="masha@acme.example.com")
    return member, ApiClient(workspace, key, **{"Accept-Language": "en"})


def test_members_key_sees_only_her_clients_when_the_workspace_says_so(
    workspace, api, only_own, masha
):
    member, masha_api = masha
    owners = api.post("/api/contacts", {"first_name": "Чужой", "phones": ["+79160000001"]}).json()
    hers = masha_api.post("/api/contacts", {"first_name": "Свой"}).json()
    assert hers["responsible"]["id"] == member.pk

    assert [item["id"] for item in masha_api.get("/api/contacts").json()["items"]] == [hers["id"]]
    assert_error(masha_api.get(f"/api/contacts/{owners['id']}"), 404, "not_found")
    assert_error(
        masha_api.patch(f"/api/contacts/{owners['id']}", {"position": "x"}), 404, "not_found"
    )
    assert_error(masha_api.post(f"/api/contacts/{owners['id']}/archive"), 404, "not_found")
    assert_error(masha_api.get(f"/api/contacts/{owners['id']}/consents"), 404, "not_found")
    assert masha_api.get("/api/contacts", {"q": "Чужой"}).json()["items"] == []
    assert masha_api.get("/api/contacts", {"q": "0001"}).json()["items"] == []
    # The owner sees both.
    assert len(api.get("/api/contacts").json()["items"]) == 2


def test_duplicate_warning_names_the_manager_but_not_a_hidden_record(
    workspace, api, only_own, masha
):
    _member, masha_api = masha
    api.post("/api/contacts", {"first_name": "Чужой", "phones": ["+79160000001"]})

    body = assert_error(
        masha_api.post("/api/contacts", {"first_name": "Копия", "phones": ["8 916 000-00-01"]}),
        409,
        "duplicate",
    )

    (match,) = body["duplicates"]
    assert match["id"] is None
    assert match["name"] is None
    assert match["responsible_id"] == workspace.owner.pk
    assert match["responsible_name"]


def test_members_key_sees_everyone_when_the_workspace_allows_it(workspace, api, masha):
    _member, masha_api = masha
    owners = api.post("/api/contacts", {"first_name": "Общий"}).json()

    assert masha_api.get(f"/api/contacts/{owners['id']}").status_code == 200
    assert [item["id"] for item in masha_api.get("/api/contacts").json()["items"]] == [owners["id"]]


def test_members_key_cannot_change_admin_settings(workspace, masha):
    _member, masha_api = masha

    assert_error(masha_api.post("/api/sources", {"name": "Выставка"}), 403, "forbidden")
    assert_error(
        masha_api.post(
            "/api/custom-fields",
            {"entity": "contact", "field_type": "text", "labels": {"ru": "Код"}},
        ),
        403,
        "forbidden",
    )


def test_key_follows_its_creators_current_role(workspace, masha):
    # masha created her key as an admin and is a member now: /api/me says so.
    member, masha_api = masha

    me = masha_api.get("/api/me").json()

    assert me["member_id"] == member.pk
    assert me["member_role"] == "member"
