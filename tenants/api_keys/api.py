"""API endpoints about the key itself (so a script can check its key and access)."""

from django.http import HttpRequest
from ninja import Router, Schema

from tenants.api_keys.auth import request_api_key

router = Router(tags=["API key"])


class KeyInfo(Schema):
    id: int
    name: str
    scopes: list[str]
    member_id: int
    member_email: str
    member_role: str


@router.get("/me", response=KeyInfo, url_name="api_key_me", summary="The key in use")
def api_key_me(request: HttpRequest) -> KeyInfo:
    """The key this request came with and the member it acts as."""
    api_key = request_api_key(request)
    member = api_key.created_by
    return KeyInfo(
        id=api_key.pk,
        name=api_key.name,
        scopes=api_key.scopes,
        member_id=member.pk,
        member_email=member.email,
        member_role=member.role,
    )
