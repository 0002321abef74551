"""The cells of the contact and company lists, rendered in Python.

A list page has 50 rows of up to a dozen columns: as a template include per cell that
was ~600 includes and most of the page's time. Each cell is a few lines of
`format_html` here instead (the same markup the design system's list pattern asks for:
`td` with `data-label`, so rows stack as cards on a phone), and the template joins them.
"""

from collections.abc import Callable, Iterable
from typing import Any

from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from crm.views.columns import Column

# Plain text attributes shown as they are.
TEXT_COLUMNS = frozenset({"position", "tax_number", "legal_name", "industry", "address"})
DATE_COLUMNS = frozenset({"birthday", "created_at", "updated_at"})


def _td(column: Column, content: Any, css_class: str = "") -> SafeString:
    if css_class:
        return format_html(
            '<td class="{}" data-label="{}">{}</td>', css_class, column.label, content
        )
    return format_html('<td data-label="{}">{}</td>', column.label, content)


def _lines(items: Iterable[SafeString]) -> SafeString:
    return mark_safe("<br>".join(items))  # noqa: S308 (each item is format_html output)


def _name(record: Any, detail_url: Callable[[int], str]) -> SafeString:
    archived = (
        format_html(' <span class="badge warn">{}</span>', _("Archived"))
        if record.archived_at
        else ""
    )
    return format_html(
        '<a href="{}">{}</a>{}', detail_url(record.pk), record.display_name, archived
    )


def _consent(state: str) -> SafeString:
    if state == "given":
        return format_html('<span class="badge ok">{}</span>', _("Given"))
    if state == "withdrawn":
        return format_html('<span class="badge off">{}</span>', _("Withdrawn"))
    return format_html('<span class="badge">{}</span>', _("Never asked"))


class CellRenderer:
    """Renders the cells of one page: URL prefixes resolved once, not per cell."""

    def __init__(self, record_type: str) -> None:
        detail = "crm_company_detail" if record_type == "company" else "crm_contact_detail"
        record_prefix = reverse(detail, args=[0]).rsplit("0/", 1)[0]
        company_prefix = reverse("crm_company_detail", args=[0]).rsplit("0/", 1)[0]
        self._record_url = lambda pk: f"{record_prefix}{pk}/"
        self._company_url = lambda pk: f"{company_prefix}{pk}/"

    def cells(
        self, record: Any, columns: list[Column], custom_text: dict[str, str]
    ) -> list[SafeString]:
        return [self.cell(record, column, custom_text) for column in columns]

    def cell(self, record: Any, column: Column, custom_text: dict[str, str]) -> SafeString:
        key = column.key
        if key == "name":
            return _td(column, _name(record, self._record_url), "cell-primary")
        if key == "phones":
            return _td(
                column,
                _lines(
                    format_html('<a href="tel:{}">{}</a>', phone.e164, phone.raw or phone.e164)
                    for phone in record.phones.all()
                ),
            )
        if key == "emails":
            return _td(
                column,
                _lines(
                    format_html('<a href="mailto:{0}">{0}</a>', email.address)
                    for email in record.emails.all()
                ),
            )
        if key == "companies":
            return _td(
                column,
                _lines(
                    format_html(
                        '<a href="{}">{}</a>{}',
                        self._company_url(link.company_id),
                        link.company.name,
                        format_html(' <span class="muted">· {}</span>', link.position)
                        if link.position
                        else "",
                    )
                    for link in record.company_links.all()
                ),
            )
        if key == "responsible":
            responsible = record.responsible
            return _td(column, responsible.display_name if responsible else "")
        if key == "source":
            return _td(column, record.source.name if record.source else "")
        if key == "tags":
            tags = list(record.tags.all())
            content = (
                format_html(
                    '<ul class="tag-list">{}</ul>',
                    format_html_join("", '<li class="badge">{}</li>', ((t.name,) for t in tags)),
                )
                if tags
                else ""
            )
            return _td(column, content)
        if key in ("consent_personal_data", "consent_advertising"):
            return _td(column, _consent(str(getattr(record, key, "") or "")))
        if key == "last_contact_at":
            value = record.last_contact_at
            content = (
                format_html(
                    '<time datetime="{}">{}</time>',
                    value.isoformat(),
                    date_format(value, "DATE_FORMAT"),
                )
                if value
                else format_html('<span class="muted">{}</span>', _("never"))
            )
            return _td(column, content)
        if key in DATE_COLUMNS:
            value = getattr(record, key, None)
            return _td(column, date_format(value, "DATE_FORMAT") if value else "")
        if key == "website":
            website = record.website
            content = (
                format_html(
                    '<a href="{0}" rel="noopener noreferrer" target="_blank">{0}</a>', website
                )
                if website
                else ""
            )
            return _td(column, content)
        if key == "headcount":
            headcount = record.headcount
            return _td(column, "" if headcount is None else headcount, "num")
        if column.is_custom:
            return _td(column, custom_text.get(key, ""))
        if key in TEXT_COLUMNS:
            return _td(column, getattr(record, key, "") or "")
        return _td(column, "")
