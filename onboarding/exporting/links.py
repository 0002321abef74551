"""Download links for exports: signed, expiring, valid only for the admin they were made for.

The token names the export, the member and the workspace schema, signed with the
project's secret (Django's TimestampSigner) and a salt of its own: it cannot be forged,
used by another member, on another workspace's host, or after it expires.
"""

from django.conf import settings
from django.core import signing

_SALT = "kartoteka.exports.download"


def download_link_seconds() -> int:
    """How long a download link works (at most 24 hours, whatever the setting says)."""
    return min(int(getattr(settings, "EXPORT_DOWNLOAD_LINK_SECONDS", 60 * 60)), 24 * 60 * 60)


def make_download_token(*, export_uuid: str, member_id: int, schema_name: str) -> str:
    return signing.TimestampSigner(salt=_SALT).sign_object(
        {"export": export_uuid, "member": member_id, "schema": schema_name}
    )


def read_download_token(token: str, *, member_id: int, schema_name: str) -> str | None:
    """The export (uuid) the token grants to this member on this workspace, or None."""
    try:
        claims = signing.TimestampSigner(salt=_SALT).unsign_object(
            token, max_age=download_link_seconds()
        )
    except signing.BadSignature:
        return None
    if claims.get("member") != member_id or claims.get("schema") != schema_name:
        return None
    return str(claims.get("export"))
