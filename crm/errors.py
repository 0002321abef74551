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
