import pytest

pytestmark = pytest.mark.django_db


def test_create_contact_smoke(make_contact, owner):
    contact = make_contact(owner, surname="Иванова", phones=["8 916 123-45-67"])
    assert contact.phones.get().e164 == "+79161234567"
