"""The timeline's entries, rendered in Python.

A card shows a page of 30 entries; as templates each entry was three includes (the
entry, its icon, its details), an SVG icon rendered afresh, three `{% url %}`s, date
filters and some sixty variable lookups: most of the card's time. Here the URL
prefixes, icons, labels and the CSRF field are made once per page and each entry is one
string with its values escaped; the markup is what the templates had.
"""

from collections.abc import Iterable
from html import escape  # what django.utils.html.escape runs, without the SafeString
from typing import Any
from urllib.parse import quote

from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.template.defaultfilters import filesizeformat, linebreaksbr
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from crm.models import Activity, ActivityKind, Direction
from crm.templatetags.crm_icons import icon
from crm.templatetags.crm_timeline import (
    activity_status_label,
    call_outcome_label,
    channel_label,
    duration_text,
    iso_time,
    money,
)
from crm.views.dates import date_formatter

KIND_ICONS = {
    "call": "phone",
    "meeting": "user-group",
    "email": "envelope",
    "message": "chat-bubble-left-right",
    "proposal": "document-text",
    "invoice": "receipt-percent",
    "payment": "banknotes",
    "document": "paper-clip",
}


def _icon(name: str) -> str:
    return str(icon("mini", name, 20, {"class": "icon", "aria_hidden": "true"}))


def _url_parts(name: str) -> tuple[str, str]:
    """(head, tail) of `name`'s URL around the id: head + f"/{pk}/" + tail."""
    head, tail = reverse(name, args=[0]).split("/0/", 1)
    return head, tail


class TimelineEntryRenderer:
    """Renders the entries of one timeline page (or of the versions page: no actions)."""

    def __init__(
        self,
        request: HttpRequest,
        *,
        record_type: str = "",
        card_url: str = "",
        user_id: int | None = None,
        is_admin: bool = False,
    ) -> None:
        self._record_type = record_type
        self._user_id = user_id
        self._is_admin = is_admin
        self._icons: dict[str, str] = {}
        self._datetime = date_formatter("DATETIME_FORMAT")
        self._kinds = {value: str(label) for value, label in ActivityKind.choices}
        self._directions = {value: str(label).lower() for value, label in Direction.choices}
        self._urls = {
            name: _url_parts(f"crm_activity_{name}")
            for name in ("versions", "edit", "archive", "restore", "file")
        }
        self._next = escape(quote(card_url, safe="/"))
        self._csrf = (
            f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(get_token(request))}">'
        )
        self._labels = {
            "edited": escape(_("edited")),
            "archived": escape(_("Archived")),
            "edit": escape(_("Edit")),
            "restore": escape(_("Restore")),
            "archive": escape(_("Archive")),
            "confirm": escape(
                _("Archive this entry? It disappears from the timeline; an admin can restore it.")
            ),
            "until": escape(_("until")),
            "with": escape(_("with")),
        }

    def _url(self, name: str, pk: int) -> str:
        head, tail = self._urls[name]
        return f"{head}/{pk}/{tail}"

    def _kind_icon(self, kind: str) -> str:
        icon = self._icons.get(kind)
        if icon is None:
            icon = self._icons[kind] = _icon(KIND_ICONS.get(kind, "pencil-square"))
        return icon

    def entries(self, entries: Iterable[Activity]) -> SafeString:
        return mark_safe("".join(self.entry(entry) for entry in entries))  # noqa: S308

    def entry(self, entry: Activity) -> str:
        pk = entry.pk
        labels = self._labels
        kind = entry.kind
        head = self._kind_icon(kind) + " " + escape(self._kinds.get(kind, kind))
        if entry.direction:
            head += " · " + escape(self._directions.get(entry.direction, entry.direction))
        moment = timezone.localtime(entry.occurred_at)
        parts = [
            f'<li class="timeline-entry kind-{escape(kind)}'
            f'{" is-archived" if entry.archived_at else ""}" id="activity-{pk}">'
            f'<div class="timeline-entry-head"><span class="timeline-kind">{head}</span> '
            f'<time datetime="{moment.isoformat()}">'
            f"{escape(self._datetime(moment))}</time></div>"
        ]
        source = getattr(entry, "from_record", None)
        if source:
            if self._record_type == "contact":
                badge = _("From company %(name)s") % {"name": source.display_name}
            else:
                badge = _("From contact %(name)s") % {"name": source.display_name}
            badge = escape(badge)
            parts.append(f'<p class="small-text"><span class="badge info">{badge}</span></p>')
        if entry.subject:
            parts.append(f'<p class="timeline-subject">{escape(entry.subject)}</p>')
        parts.append(self._details(entry))
        if entry.text:
            parts.append(f'<div class="timeline-text">{linebreaksbr(entry.text)}</div>')
        author = ""
        if entry.author_id and entry.author:
            author = escape(entry.author.full_name or entry.author.email)
        elif entry.author_label:
            author = escape(entry.author_label)
        meta = author
        if getattr(entry, "is_edited", False):
            meta += f' · <a href="{self._url("versions", pk)}">{labels["edited"]}</a>'
        if entry.archived_at:
            meta += f' · <span class="badge warn">{labels["archived"]}</span>'
        parts.append(f'<p class="timeline-meta small-text muted"> {meta} </p>')
        actions = ""
        may_edit = self._is_admin or (
            self._user_id is not None and entry.author_id == self._user_id
        )
        if not entry.archived_at and may_edit:
            actions += (
                f'<a class="button ghost small" href="{self._url("edit", pk)}?next={self._next}">'
                f"{labels['edit']}</a>"
            )
        if self._is_admin:
            if entry.archived_at:
                actions += (
                    f'<form method="post" action="{self._url("restore", pk)}">{self._csrf}'
                    f'<button type="submit" class="ghost small">{labels["restore"]}</button></form>'
                )
            else:
                actions += (
                    f'<form method="post" action="{self._url("archive", pk)}" '
                    f'data-confirm="{labels["confirm"]}" data-confirm-danger>{self._csrf}'
                    f'<button type="submit" class="ghost small">{labels["archive"]}</button></form>'
                )
        parts.append(f'<div class="actions timeline-actions">{actions}</div></li>')
        return "".join(parts)

    def _details(self, entry: Activity) -> str:
        details = entry.details or {}
        kind = entry.kind
        if kind == ActivityKind.CALL:
            text = escape(call_outcome_label(details["outcome"])) if details.get("outcome") else ""
            if entry.duration_seconds:
                text += " · " + escape(duration_text(entry.duration_seconds))
            if entry.number:
                number = escape(entry.number)
                text += f' · <a href="tel:{number}">{number}</a>'
            return f'<p class="small-text">{text}</p>'
        if kind == ActivityKind.MEETING:
            text = ""
            if details.get("ends_at"):
                text += f"{self._labels['until']} {escape(iso_time(details['ends_at']))}"
            if details.get("place"):
                text += " · " + escape(str(details["place"]))
            if details.get("participants"):
                people = ", ".join(escape(str(person)) for person in details["participants"])
                text += f" · {self._labels['with']} {people}"
            return f'<p class="small-text">{text}</p>'
        if kind == ActivityKind.MESSAGE:
            return f'<p class="small-text">{escape(channel_label(details.get("channel")))}</p>'
        if kind in (ActivityKind.PROPOSAL, ActivityKind.INVOICE):
            return (
                f'<p class="small-text">№ {escape(entry.number or "")} · '
                f"{escape(money(entry.amount, entry.currency))} · "
                f'<span class="badge">{escape(activity_status_label(entry))}</span></p>'
            )
        if kind == ActivityKind.PAYMENT:
            number = f" · № {escape(entry.number)}" if entry.number else ""
            amount = escape(money(entry.amount, entry.currency))
            return f'<p class="small-text">{amount}{number}</p>'
        if kind == ActivityKind.DOCUMENT and entry.file:
            return (
                f'<p class="small-text"><a href="{self._url("file", entry.pk)}" download>'
                f"{_icon('arrow-down-tray')}{escape(entry.file_name)}</a> "
                f'<span class="muted">{escape(filesizeformat(entry.file_size or 0))}</span></p>'
            )
        return ""


def entries_html(request: HttpRequest, entries: Iterable[Activity], **options: Any) -> SafeString:
    """The `<li>`s of `entries` (options as TimelineEntryRenderer's)."""
    return TimelineEntryRenderer(request, **options).entries(entries)
