"""Errors every CRM write path shares: forms, the API and the import report them alike."""

from collections.abc import Mapping, Sequence
from enum import StrEnum


class ErrorCode(StrEnum):
    """Stable, machine-readable reasons (the API returns them; messages are translated)."""

    INVALID = "invalid"
    REQUIRED = "required"
    DUPLICATE = "duplicate"
    NOT_FOUND = "not_found"
    FORBIDDEN = "forbidden"
    READ_ONLY = "read_only"
    CONFLICT = "conflict"


class CrmValidationError(Exception):
    """Input a CRM action refuses, with translated messages per field.

    `field_errors` maps a field name (a standard field such as "phones", or a custom
    field's key as "custom.<key>") to its messages; "__all__" holds record-wide ones.
    """

    def __init__(
        self,
        field_errors: Mapping[str, Sequence[str]],
        *,
        code: ErrorCode = ErrorCode.INVALID,
    ):
        self.field_errors = {
            field: [str(m) for m in messages] for field, messages in field_errors.items()
        }
        self.code = code
        super().__init__(f"{code}: {self.field_errors}")


class CrmNotFoundError(Exception):
    """The record does not exist, or the acting member may not see it (answer 404 to both)."""

    code = ErrorCode.NOT_FOUND


class DuplicateFound(Exception):
    """The record's phone, e-mail or tax number already belongs to another record.

    `matches` say what matched and who is responsible for the other record. When the
    acting member may not see that record (members see only their own clients), the
    match carries the responsible manager's name but neither the record's id nor its
    name. The caller shows them, then repeats the action with `allow_duplicate=True`
    if the person saves anyway.
    """

    code = ErrorCode.DUPLICATE

    def __init__(self, matches: Sequence["DuplicateMatch"]):
        self.matches = list(matches)
        super().__init__(f"{self.code}: {len(self.matches)} match(es)")


class DuplicateMatch:
    """One other record sharing a phone, an e-mail or a tax number."""

    __slots__ = (
        "matched_on",
        "matched_value",
        "record_id",
        "record_name",
        "record_type",
        "responsible_id",
        "responsible_name",
        "visible",
    )

    def __init__(
        self,
        *,
        record_type: str,
        record_id: int | None,
        record_name: str | None,
        matched_on: str,
        matched_value: str,
        responsible_id: int | None,
        responsible_name: str,
        visible: bool,
    ):
        self.record_type = record_type
        self.record_id = record_id
        self.record_name = record_name
        self.matched_on = matched_on  # "phone", "email" or "tax_number"
        self.matched_value = matched_value
        self.responsible_id = responsible_id
        self.responsible_name = responsible_name
        self.visible = visible

    def as_dict(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in self.__slots__}

    def __repr__(self) -> str:
        return f"DuplicateMatch({self.as_dict()!r})"
