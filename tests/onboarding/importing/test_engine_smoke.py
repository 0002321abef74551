from crm.models import Contact
from onboarding.importing.models import ImportStatus
from tests.crm.conftest import in_workspace, owner  # noqa: F401
from tests.onboarding.importing.engine_helpers import csv_bytes, import_file


def test_smoke(owner, django_capture_on_commit_callbacks):  # noqa: F811
    content = csv_bytes(
        ["Фамилия", "Имя", "Телефон", "Email"],
        [
            ["Иванов", "Иван", "8 916 123-45-67", "ivan@example.com"],
            ["Петров", "Пётр", "", "petr@example.com"],
        ],
    )
    job = import_file(
        owner,
        content,
        {"Фамилия": "surname", "Имя": "first_name", "Телефон": "phone", "Email": "email"},
        django_capture_on_commit_callbacks,
    )
    assert job.status == ImportStatus.DONE, job.failure
    assert job.created_count == 2
    assert Contact.objects.count() == 2
