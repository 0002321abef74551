"""The one error the reading of an imported file raises, with a message for the person."""

from django.utils.functional import Promise


class ImportFileError(Exception):
    """The file cannot be read as a table; `message` is translated and shown to the user.

    `code` names the reason for code and tests ("empty", "too_big", "zip_bomb", ...);
    `row_number` is the 1-based line/row of the file when the problem is in one row.
    """

    def __init__(
        self, message: str | Promise, *, code: str = "unreadable", row_number: int | None = None
    ):
        super().__init__(str(message))
        self.message = message
        self.code = code
        self.row_number = row_number

    def __reduce__(self) -> tuple:
        # Picklable (a Celery task may raise it): the message as translated when raised.
        return (_rebuild, (str(self.message), self.code, self.row_number))


def _rebuild(message: str, code: str, row_number: int | None) -> ImportFileError:
    return ImportFileError(message, code=code, row_number=row_number)

    def __str__(self) -> str:
        return str(self.message)
