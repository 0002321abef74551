"""The rows of the contact and company lists, rendered in Python.

A list page has 50 rows of up to a dozen columns: as a template include per cell that
was ~600 includes and most of the page's time; as `format_html` per cell it was still
~700 calls per page, each escaping its arguments through lazy-string and `__html__`
checks. Here each row is built with plain f-strings, every value escaped once with
`html.escape` (what Django's `escape` does) and each column's `<td data-label="…">`
opening made once per page. The markup is the design system's list pattern: a `td` with
`data-label` per cell, so rows stack as cards on a phone.

Children come from the `loaded_*` lists of crm.selectors.row_loading.
"""

from collections.abc import Iterable
from html import escape
from typing import Any

import heroicons
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.safestring import SafeData, SafeString, mark_safe
from django.utils.text import slugify
from django.utils.translation import gettext as _

from crm.views.columns import Column
from crm.views.dates import date_formatter

# Plain text attributes shown as they are.
TEXT_COLUMNS = frozenset({"position", "tax_number", "legal_name", "industry", "address"})
DATE_COLUMNS = frozenset({"birthday", "created_at", "updated_at"})


def _text(value: Any) -> str:
    """`value` as HTML text: escaped, unless it is already safe markup (conditional_escape)."""
    if isinstance(value, Promise):
        value = str(value)
    if isinstance(value, SafeData):
        return str(value)
    return escape(str(value))


class CellRenderer:
    """Renders the rows of one page: URL prefixes, labels and fixed badges resolved once."""

    def __init__(self, record_type: str) -> None:
        detail = "crm_company_detail" if record_type == "company" else "crm_contact_detail"
        self._record_prefix = reverse(detail, args=[0]).rsplit("0/", 1)[0]
        self._company_prefix = reverse("crm_company_detail", args=[0]).rsplit("0/", 1)[0]
        self._opening: dict[str, str] = {}
        # gettext outside the f-strings: makemessages does not look inside them.
        archived, never = _text(_("Archived")), _text(_("never"))
        given, withdrawn, never_asked = (
            _text(_("Given")),
            _text(_("Withdrawn")),
            _text(_("Never asked")),
        )
        self._archived = f' <span class="badge warn">{archived}</span>'
        self._never = f'<span class="muted">{never}</span>'
        # The reader's date format read once per page, not once per cell.
        self._date = date_formatter("DATE_FORMAT")
        self._consent = {
            "given": f'<span class="badge ok">{given}</span>',
            "withdrawn": f'<span class="badge off">{withdrawn}</span>',
            "": f'<span class="badge">{never_asked}</span>',
        }

    def row(self, record: Any, columns: list[Column], custom_text: dict[str, str]) -> SafeString:
        """One `<tr>`: the tick box, then a cell per column."""
        tick = _text(_("Tick %(name)s") % {"name": record.display_name})
        cells = "".join(self._cell(record, column, custom_text) for column in columns)
        return mark_safe(  # noqa: S308 (every value in it went through _text)
            f'<tr><td class="cell-select"><input type="checkbox" name="ids" value="{record.pk}" '
            f'aria-label="{tick}"></td>{cells}</tr>'
        )

    def _td(self, column: Column, content: str, css_class: str = "") -> str:
        opening = self._opening.get(column.key)
        if opening is None:
            label = _text(column.label)
            opening = (
                f'<td class="{css_class}" data-label="{label}">'
                if css_class
                else f'<td data-label="{label}">'
            )
            self._opening[column.key] = opening
        return f"{opening}{content}</td>"

    def _cell(self, record: Any, column: Column, custom_text: dict[str, str]) -> str:
        key = column.key
        if key == "name":
            archived = self._archived if record.archived_at else ""
            link = f'<a href="{self._record_prefix}{record.pk}/">{_text(record.display_name)}</a>'
            return self._td(column, f"{link}{archived}", "cell-primary")
        if key == "phones":
            return self._td(
                column,
                _lines(
                    f'<a href="tel:{_text(phone.e164)}">{_text(phone.raw or phone.e164)}</a>'
                    for phone in record.loaded_phones
                ),
            )
        if key == "emails":
            return self._td(
                column,
                _lines(
                    f'<a href="mailto:{address}">{address}</a>'
                    for address in (_text(email.address) for email in record.loaded_emails)
                ),
            )
        if key == "companies":
            return self._td(
                column,
                _lines(
                    f'<a href="{self._company_prefix}{link.company_id}/">'
                    f"{_text(link.company.name)}</a>"
                    + (
                        f' <span class="muted">· {_text(link.position)}</span>'
                        if link.position
                        else ""
                    )
                    for link in record.loaded_company_links
                ),
            )
        if key == "responsible":
            responsible = record.responsible
            return self._td(column, _text(responsible.display_name) if responsible else "")
        if key == "source":
            return self._td(column, _text(record.source.name) if record.source else "")
        if key == "tags":
            tags = record.loaded_tags
            content = (
                '<ul class="tag-list">'
                + "".join(f'<li class="badge">{_text(tag.name)}</li>' for tag in tags)
                + "</ul>"
                if tags
                else ""
            )
            return self._td(column, content)
        if key in ("consent_personal_data", "consent_advertising"):
            state = str(getattr(record, key, "") or "")
            return self._td(column, self._consent.get(state, self._consent[""]))
        if key == "last_contact_at":
            value = record.last_contact_at
            content = (
                f'<time datetime="{value.isoformat()}">{_text(self._date(value))}</time>'
                if value
                else self._never
            )
            return self._td(column, content)
        if key in DATE_COLUMNS:
            value = getattr(record, key, None)
            return self._td(column, _text(self._date(value)) if value else "")
        if key == "website":
            website = _text(record.website) if record.website else ""
            content = (
                f'<a href="{website}" rel="noopener noreferrer" target="_blank">{website}</a>'
                if website
                else ""
            )
            return self._td(column, content)
        if key == "headcount":
            headcount = record.headcount
            return self._td(column, "" if headcount is None else _text(headcount), "num")
        if column.is_custom:
            return self._td(column, _text(custom_text.get(key, "")))
        if key in TEXT_COLUMNS:
            return self._td(column, _text(getattr(record, key, "") or ""))
        return self._td(column, "")


def _lines(items: Iterable[str]) -> str:
    return "<br>".join(items)


def column_picker(columns: list[Column], available: list[Column]) -> SafeString:
    """The `<li>` of each column in the "Columns" picker: the shown ones in their order, then
    the others (24 template includes per page before, each with two translations and icons)."""
    up = heroicons._render_icon("mini", "arrow-up", 20, {"class": "icon", "aria-hidden": "true"})
    down = heroicons._render_icon(
        "mini", "arrow-down", 20, {"class": "icon", "aria-hidden": "true"}
    )
    shown_keys = {column.key for column in columns}
    items = []
    for column, shown in [
        *((column, True) for column in columns),
        *((column, False) for column in available if column.key not in shown_keys),
    ]:
        key = _text(column.key)
        slug = _text(slugify(column.key))
        label = _text(column.label)
        is_name = column.key == "name"
        if is_name:
            moves = ""
        else:
            move_up = _text(_("Move “%(label)s” up") % {"label": column.label})
            move_down = _text(_("Move “%(label)s” down") % {"label": column.label})
            moves = (
                '<span class="actions">'
                f'<button type="button" class="ghost small" data-move="up" aria-label="{move_up}">'
                f"{up}</button>"
                '<button type="button" class="ghost small" data-move="down" '
                f'aria-label="{move_down}">{down}</button></span>'
            )
        items.append(
            f'<li><input type="hidden" name="order" value="{key}">'
            f'<input type="checkbox" id="col-{slug}" name="columns" value="{key}"'
            f"{' checked' if shown else ''}{' disabled' if is_name else ''}>"
            f'<label for="col-{slug}" class="small-text">{label}</label>{moves}</li>'
        )
    return mark_safe("".join(items))  # noqa: S308 (every value in it went through _text)
