"""The CRM tests' fixtures (a workspace entered as the tenant, its people, records)."""

from tests.crm.conftest import (  # noqa: F401
    admin,
    in_workspace,
    make_company,
    make_contact,
    member,
    owner,
)
