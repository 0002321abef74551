"""The kanban board's cards and the forecast's cells, rendered in Python.

A board shows up to 25 cards in each of its columns: as template markup each card cost
three `{% url %}`s, a `{% blocktranslate %}`, the CSRF tag, the money and date filters
and some forty variable lookups, most of the page's time. Here the URL prefixes, the
labels, the CSRF field and the page's own address are made once per page and each card
is one string with its values escaped; the markup is what the template had. The same for
the forecast's table: a cell per manager and month, each with two amounts and a plural.
"""

import datetime as dt
from collections.abc import Callable, Iterable
from decimal import Decimal
from html import escape  # what django.utils.html.escape runs, without the SafeString
from typing import Any

from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format, get_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from crm.models import Deal
from crm.views.dates import date_formatter


def _prefix(name: str) -> str:
    """The URL of `name` for id 0 without the id: one reverse() for all the cards."""
    return reverse(name, args=[0]).rsplit("/0/", 1)[0] + "/"


class MoneyFormat:
    """crm.views.deals.money for many amounts: the reader's separators looked up once.

    Gives what `number_format(amount, decimal_pos, force_grouping=True)` gives for the
    locales whose grouping is by threes (ru, uk, en); others go through `fallback`.
    """

    def __init__(self, fallback: Callable[[Decimal | None, str], str]) -> None:
        self._fallback = fallback
        self._by_threes = get_format("NUMBER_GROUPING") == 3
        self._decimal = str(get_format("DECIMAL_SEPARATOR"))
        self._thousand = str(get_format("THOUSAND_SEPARATOR"))

    def __call__(self, amount: Decimal | None, currency: str) -> str:
        if amount is None or not self._by_threes:
            return self._fallback(amount, currency)
        places = 0 if amount == amount.to_integral() else 2
        text = f"{amount:,.{places}f}"
        text = text.replace(",", "\0").replace(".", self._decimal).replace("\0", self._thousand)
        return f"{text} {currency}".strip()


class BoardCardRenderer:
    """Renders the cards of one board page."""

    def __init__(self, request: HttpRequest, money: Callable[[Decimal | None, str], str]) -> None:
        self._money = MoneyFormat(money)
        self._dates: dict[dt.date, str] = {}
        self._short_date = date_formatter("SHORT_DATE_FORMAT")
        self._detail = _prefix("crm_deal_detail")
        move = reverse("crm_deal_move", args=[0])
        self._move_head, self._move_tail = move.split("/0/", 1)
        token, here = escape(get_token(request)), escape(request.get_full_path())
        self._fields = (
            f'<input type="hidden" name="csrfmiddlewaretoken" value="{token}">'
            f'<input type="hidden" name="next" value="{here}">'
        )
        self._move_to = escape(_("Move to"))
        self._move_up = escape(_("Move up"))
        self._move_down = escape(_("Move down"))
        self._move_label = _("Move “%(title)s” to")

    def _date(self, day: dt.date) -> str:
        shown = self._dates.get(day)
        if shown is None:
            shown = self._dates[day] = escape(self._short_date(day))
        return shown

    def cards(self, deals: Iterable[Deal], move_options: str) -> SafeString:
        """The `<li>` of every deal of a column; `move_options` are its stage `<option>`s."""
        deals = list(deals)
        ids = [deal.pk for deal in deals]
        parts = []
        for index, deal in enumerate(deals):
            up_before = ids[index - 1] if index > 0 else None
            if index + 2 < len(ids):
                down_before: str | None = str(ids[index + 2])
            else:
                down_before = "" if index + 1 < len(ids) else None
            parts.append(self.card(deal, move_options, up_before, down_before))
        return mark_safe("".join(parts))  # noqa: S308 (every value is escaped in card())

    def card(
        self, deal: Deal, move_options: str, up_before: int | None, down_before: str | None
    ) -> str:
        pk = deal.pk
        title = escape(deal.title)
        move_url = f"{self._move_head}/{pk}/{self._move_tail}"
        clients = [
            escape(name)
            for name in (
                deal.company.name if deal.company_id and deal.company else "",
                deal.contact.display_name if deal.contact_id and deal.contact else "",
            )
            if name
        ]
        when = deal.expected_close_date
        close = f' · <time datetime="{when:%Y-%m-%d}">{self._date(when)}</time>' if when else ""
        manager = (
            f'<p class="small-text muted">{escape(deal.responsible.display_name)}</p>'
            if deal.responsible_id and deal.responsible
            else ""
        )
        label = escape(self._move_label % {"title": deal.title})
        buttons = ""
        if up_before:
            buttons += (
                f'<button type="submit" class="ghost small" name="before" value="{up_before}" '
                f'formnovalidate aria-label="{self._move_up}: {title}">↑</button>'
            )
        if down_before is not None:
            buttons += (
                f'<button type="submit" class="ghost small" name="before" value="{down_before}" '
                f'aria-label="{self._move_down}: {title}">↓</button>'
            )
        return (
            f'<li class="deal-card" id="deal-{pk}" data-deal-id="{pk}" data-move-url="{move_url}">'
            f'<a class="deal-title" href="{self._detail}{pk}/">{title}</a>'
            + (f'<p class="small-text muted">{" · ".join(clients)}</p>' if clients else "")
            + f'<p class="small-text"><strong>{escape(self._money(deal.amount, deal.currency))}'
            f"</strong>{close}</p>{manager}"
            f'<form method="post" action="{move_url}" class="deal-move">{self._fields}'
            f'<label for="move-{pk}" class="visually-hidden">{label}</label>'
            f'<select id="move-{pk}" name="stage">{move_options}</select>'
            f'<button type="submit" class="secondary small">{self._move_to}</button>'
            f"{buttons}</form></li>"
        )


class DealRowRenderer:
    """Renders the rows of one deal list page (the `<tr>`s the list template had)."""

    def __init__(self, money: Callable[[Decimal | None, str], str]) -> None:
        self._money = MoneyFormat(money)
        self._detail = _prefix("crm_deal_detail")
        self._dates: dict[dt.date, str] = {}
        self._short_date = date_formatter("SHORT_DATE_FORMAT")
        self._labels = {
            name: escape(text)
            for name, text in (
                ("title", _("Title")),
                ("client", _("Client")),
                ("stage", _("Stage")),
                ("amount", _("Amount")),
                ("close", _("Expected close")),
                ("manager", _("Manager")),
                ("created", _("Created")),
                ("archived", _("archived")),
            )
        }
        # components/badge.html, as the template included it (with its closing newline)
        self._status_badges = {
            "won": f' <span class="badge ok">{escape(_("Won"))}</span>\n',
            "lost": f' <span class="badge danger">{escape(_("Lost"))}</span>\n',
        }

    def _date(self, day: dt.date) -> str:
        shown = self._dates.get(day)
        if shown is None:
            shown = self._dates[day] = escape(self._short_date(day))
        return shown

    def rows(self, deals: Iterable[Deal]) -> SafeString:
        return mark_safe("".join(self.row(deal) for deal in deals))  # noqa: S308 (escaped)

    def row(self, deal: Deal) -> str:
        labels = self._labels
        archived = f' <span class="badge">{labels["archived"]}</span>' if deal.is_archived else ""
        company = deal.company if deal.company_id else None
        contact = deal.contact if deal.contact_id else None
        client = escape(company.name) if company else ""
        if company and contact:
            client += " · "
        if contact:
            client += escape(contact.display_name)
        if not company and not contact:
            client = "—"
        responsible = deal.responsible if deal.responsible_id else None
        manager = escape(responsible.display_name) if responsible else ""
        close = self._date(deal.expected_close_date) if deal.expected_close_date else ""
        created = self._date(timezone.localtime(deal.created_at).date())
        return (
            "\n      <tr>\n"
            f'        <td class="cell-primary" data-label="{labels["title"]}">'
            f'<a href="{self._detail}{deal.pk}/">{escape(deal.title)}</a>{archived}</td>\n'
            f'        <td data-label="{labels["client"]}">{client}</td>\n'
            f'        <td data-label="{labels["stage"]}">{escape(deal.stage.name)}'
            f"{self._status_badges.get(deal.status, '')}</td>\n"
            f'        <td class="num" data-label="{labels["amount"]}">'
            f"{escape(self._money(deal.amount, deal.currency))}</td>\n"
            f'        <td data-label="{labels["close"]}">{close or "—"}</td>\n'
            f'        <td data-label="{labels["manager"]}">{manager or "—"}</td>\n'
            f'        <td data-label="{labels["created"]}">{created}</td>\n'
            "      </tr>\n      "
        )


def forecast_cells(
    forecast: Any, money: Callable[[Decimal | None, str], str]
) -> dict[int, SafeString]:
    """The `<td>`s of every row of `forecast` (and of its total, under key 0), by the row's
    position in `forecast.rows` plus one."""
    format_money = MoneyFormat(money)
    months = [(month, escape(date_format(month, "F Y"))) for month in forecast.months]

    def row_cells(row: Any, extra: str) -> SafeString:
        cells = []
        for month, label in months:
            parts = [
                f"<strong>{escape(format_money(weighted, currency))}</strong><br>"
                f'<span class="muted small-text">{escape(format_money(total, currency))} · '
                + escape(
                    ngettext("%(counter)s deal", "%(counter)s deals", count) % {"counter": count}
                )
                + "</span>"
                for currency, weighted, total, count in row.cell(month)
            ]
            cells.append(
                f'<td class="num forecast-cell" data-label="{label}"{extra}>'
                f"{'<br>'.join(parts) or '—'}</td>"
            )
        return mark_safe("".join(cells))  # noqa: S308 (every value is escaped above)

    result = {index: row_cells(row, "") for index, row in enumerate(forecast.rows, start=1)}
    result[0] = row_cells(forecast.total, ' data-testid="forecast-total"')
    return result
