"""One language rule for every page of a workspace.

A choice made now wins and is remembered for that person:

1. `?lang=xx` on any workspace URL (how the public site carries the visitor's choice
   into the hand-off, the workspace's login page and the find-my-workspace links),
   or the language switch: used at once, kept in the session and in the cookie; a
   logged-in member's saved preference is updated too.
2. A choice made before logging in (on the login page) becomes the member's saved
   preference when they log in (`remember_language_choice`).
3. Otherwise a logged-in member's saved preference, then the browser's cookie (a
   choice made earlier on this device), then the workspace's default language.
"""

from django.conf import settings
from django.http import HttpRequest, HttpResponse

LANGUAGE_QUERY_PARAMETER = "lang"
_SESSION_KEY = "kartoteka_language_choice"


def supported_languages() -> set[str]:
    return {code for code, _name in settings.LANGUAGES}


def language_from_query(request: HttpRequest) -> str | None:
    language = request.GET.get(LANGUAGE_QUERY_PARAMETER, "")
    return language if language in supported_languages() else None


def note_language_choice(request: HttpRequest, language: str) -> None:
    """Remember that the person chose `language` now (session, for the next login)."""
    session = getattr(request, "session", None)
    if session is not None and session.get(_SESSION_KEY) != language:
        session[_SESSION_KEY] = language


def set_language_cookie(response: HttpResponse, language: str) -> None:
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=False,
    )


def remember_language_choice(request: HttpRequest, user: object) -> None:
    """At login: a language chosen before logging in becomes the member's preference."""
    from tenants.members import actions
    from tenants.members.models import User

    session = getattr(request, "session", None)
    chosen = session.pop(_SESSION_KEY, None) if session is not None else None
    if not isinstance(user, User) or chosen not in supported_languages():
        return
    if user.language != chosen:
        actions.set_member_language(acting_user=user, language=str(chosen))


def language_for_anonymous(request: HttpRequest, default: str) -> str:
    """The language for a visitor who is not (or cannot be) logged in."""
    chosen = language_from_query(request)
    if chosen:
        return chosen
    cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    if cookie in supported_languages():
        return str(cookie)
    return default
