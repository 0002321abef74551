# ruff: noqa: RUF001 (Cyrillic text is the data; random is for fake data, not secrets)
"""seed_crm --activities N: a realistic timeline for the seeded clients, with COPY.

Entries are spread with a long tail (a few clients with hundreds of entries, most with a
handful, many with none) plus one very busy contact (the first seeded, up to 5,000
entries) so benchmarks can open the heaviest card. About 70% are on contacts, 30% on
companies; when deals were seeded (context.deal_ids), one entry in five is also on a
deal and on that deal's client. Texts come from pools of Russian phrases whose search
form (crm.normalize.search_text) is computed once per phrase. Documents are not seeded
(they would need files). last_contact_at of contacts and companies is then set in two
set-based UPDATEs with the rule of crm.actions.timeline (calls not missed, meetings,
e-mails and messages, not in the future).
"""

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from django.db import connection

from crm import normalize
from crm.actions.timeline import CONTACT_KINDS
from crm.models import Activity, Deal
from crm.seeding import SEED_STEPS, SeedContext, SeedStep, _jsonb, copy_rows, next_ids

BUSIEST_ENTRIES = 5000
# random() ** TAIL piles entries on the first clients: the top ones get a few hundred,
# most a handful, many none (1.6: about 500 for the first of 100,000 clients per 1M).
TAIL = 1.6
POOL_SIZE = 3000

CALL_TEXTS = [
    "Обсудили условия поставки, клиент ждёт коммерческое предложение",
    "Уточнили адрес доставки и удобное время",
    "Клиент просит перезвонить после обеда",
    "Договорились о встрече в офисе на следующей неделе",
    "Напомнили про оплату счёта",
    "Клиент доволен заказом, спросил про скидку на следующий",
    "Не дозвонились, оставили сообщение секретарю",
    "Обсудили продление договора на год",
    "Рассказали о новой линейке продукции",
    "Клиент сравнивает с конкурентами, просит время подумать",
    "",
]
MEETING_SUBJECTS = [
    "Презентация продукта",
    "Обсуждение договора",
    "Встреча с директором",
    "Подписание акта",
    "Планирование поставок на квартал",
    "Демонстрация возможностей",
]
PLACES = [
    "Офис клиента, Тверская 12",
    "Наш офис, переговорная 2",
    "Кафе «Пушкин»",
    "Онлайн, Zoom",
    "Склад на Варшавском шоссе",
    "Киев, ул. Крещатик 22",
]
PEOPLE = [
    "Иванов И.",
    "Петрова А.",
    "Сидоренко О.",
    "Кузнецов Д.",
    "Шевченко Т.",
    "Смирнова Е.",
    "Бондаренко В.",
]
EMAIL_SUBJECTS = [
    "Коммерческое предложение",
    "Счёт на оплату",
    "Вопрос по заказу",
    "Акт сверки",
    "Договор поставки",
    "Приглашение на выставку",
    "Re: сроки поставки",
]
EMAIL_TEXTS = [
    "Добрый день! Направляем обновлённое предложение с учётом скидки.",
    "Здравствуйте, подтвердите, пожалуйста, получение счёта.",
    "Спасибо за встречу, высылаем материалы, которые обсуждали.",
    "Просим прислать реквизиты для договора.",
    "Отгрузка запланирована на пятницу, трек-номер пришлём отдельно.",
    "Доброго дня! Нагадуємо про оплату рахунку до кінця тижня.",
]
MESSAGE_TEXTS = [
    "Добрый день! Когда удобно созвониться?",
    "Счёт отправил на почту",
    "Спасибо, всё получили",
    "Можно перенести встречу на четверг?",
    "Привезём завтра до 12",
    "Дякую, чекаємо на доставку",
]
NOTE_TEXTS = [
    "Лицо, принимающее решение, — финансовый директор",
    "Предпочитает общение в мессенджерах",
    "Бюджет утверждается в начале квартала",
    "Работали с конкурентом, недовольны сроками",
    "День рождения компании в сентябре — поздравить",
    "Просил не звонить до 10 утра",
    "Интересуется оптовыми ценами",
]
CALL_OUTCOMES = ["reached", "reached", "reached", "no_answer", "busy", "call_back", "voicemail"]
CHANNELS = ["telegram", "whatsapp", "viber", "sms"]
CURRENCIES = ["RUB", "RUB", "RUB", "UAH", "USD", "EUR"]
# kind, weight
KINDS = [
    ("call", 38),
    ("email", 18),
    ("message", 14),
    ("note", 12),
    ("meeting", 8),
    ("proposal", 4),
    ("invoice", 4),
    ("payment", 2),
]
COLUMNS = (
    "id",
    "uuid",
    "kind",
    "contact_id",
    "company_id",
    "deal_id",
    "occurred_at",
    "direction",
    "subject",
    "text",
    "number",
    "amount",
    "currency",
    "status",
    "duration_seconds",
    "details",
    "file",
    "file_name",
    "file_size",
    "file_type",
    "author_id",
    "author_label",
    "search_text",
    "archived_at",
    "archived_by_id",
    "created_at",
    "updated_at",
    "edited_at",
)


class _Searchable:
    """Search forms of pool phrases, computed once each."""

    def __init__(self) -> None:
        self.cache: dict[tuple[str, ...], str] = {}

    def __call__(self, *parts: str) -> str:
        found = self.cache.get(parts)
        if found is None:
            found = normalize.search_text(*parts)
            if len(self.cache) < 200_000:
                self.cache[parts] = found
        return found


def _owners(context: SeedContext, count: int) -> list[tuple[int | None, int | None, int | None]]:
    """(contact, company, deal) per entry: the busiest contact first, then a long tail."""
    rng = context.random
    contacts, companies = context.contact_ids, context.company_ids
    owners: list[tuple[int | None, int | None, int | None]] = []
    if contacts:
        busiest = min(BUSIEST_ENTRIES, count // 10)
        owners.extend((contacts[0], None, None) for _ in range(busiest))
    deals: list[tuple[int, int | None, int | None]] = []
    if context.deal_ids:
        deals = list(
            Deal.objects.filter(pk__in=context.deal_ids).values_list(
                "id", "contact_id", "company_id"
            )
        )
    while len(owners) < count:
        roll = rng.random()
        if deals and roll < 0.2:
            deal_id, contact_id, company_id = deals[int(len(deals) * rng.random() ** 2)]
            owners.append((contact_id, company_id, deal_id))
        elif contacts and (roll < 0.76 or not companies):
            owners.append(
                (
                    contacts[1 + int((len(contacts) - 1) * rng.random() ** TAIL)]
                    if len(contacts) > 1
                    else contacts[0],
                    None,
                    None,
                )
            )
        elif companies:
            owners.append((None, companies[int(len(companies) * rng.random() ** TAIL)], None))
        else:
            break
    return owners


def _entry(context: SeedContext, kind: str, searchable: _Searchable) -> dict[str, Any]:
    rng = context.random
    row: dict[str, Any] = {
        "direction": "",
        "subject": "",
        "text": "",
        "number": "",
        "amount": None,
        "currency": "",
        "status": "",
        "duration_seconds": None,
        "details": {},
    }
    if kind == "call":
        direction = rng.choice(["outgoing", "outgoing", "incoming", "incoming", "missed"])
        row["direction"] = direction
        if direction != "missed":
            row["duration_seconds"] = rng.randint(15, 1500)
            row["details"] = {"outcome": rng.choice(CALL_OUTCOMES)}
            row["text"] = rng.choice(CALL_TEXTS)
        first, second, third = rng.randint(100, 999), rng.randint(10, 99), rng.randint(10, 99)
        row["number"] = f"+7 9{rng.randint(10, 99)} {first}-{second}-{third}"
    elif kind == "meeting":
        row["subject"] = rng.choice(MEETING_SUBJECTS)
        row["details"] = {
            "place": rng.choice(PLACES),
            "participants": rng.sample(PEOPLE, rng.randint(1, 3)),
        }
    elif kind == "email":
        row["direction"] = rng.choice(["incoming", "outgoing"])
        row["subject"] = rng.choice(EMAIL_SUBJECTS)
        row["text"] = rng.choice(EMAIL_TEXTS)
        row["details"] = {"channel": "email"}
    elif kind == "message":
        row["direction"] = rng.choice(["incoming", "outgoing"])
        row["text"] = rng.choice(MESSAGE_TEXTS)
        row["details"] = {"channel": rng.choice(CHANNELS)}
    elif kind in {"proposal", "invoice"}:
        row["number"] = f"{'КП' if kind == 'proposal' else 'СЧ'}-{rng.randint(1, 9999)}"
        row["amount"] = Decimal(rng.randint(5, 2000) * 1000)
        row["currency"] = rng.choice(CURRENCIES)
        row["status"] = rng.choice(
            ["draft", "sent", "sent", "accepted", "rejected"]
            if kind == "proposal"
            else ["sent", "paid", "paid", "overdue", "cancelled"]
        )
    elif kind == "payment":
        row["amount"] = Decimal(rng.randint(5, 2000) * 1000)
        row["currency"] = rng.choice(CURRENCIES)
        row["number"] = f"ПП-{rng.randint(1, 99999)}"
    else:
        row["text"] = rng.choice(NOTE_TEXTS)
    details = row["details"]
    row["search_text"] = searchable(
        row["subject"],
        row["text"],
        row["number"] if kind != "call" else "",
        details.get("place", ""),
        " ".join(details.get("participants", [])),
    )
    if kind == "call" and row["number"]:
        # The number's search form (crm.normalize.search_text keeps digits, "+" and "-").
        row["search_text"] = f"{row['search_text']} {row['number']}".strip()
    row["details_json"] = _jsonb(row["details"])
    return row


def seed_activities(context: SeedContext, count: int) -> None:
    """`count` timeline entries on the seeded clients (see the module's docstring)."""
    if count <= 0 or not (context.contact_ids or context.company_ids):
        return
    rng = context.random
    owners = _owners(context, count)
    ids = next_ids(Activity, len(owners))
    kinds = [kind for kind, _weight in KINDS]
    weights = [weight for _kind, weight in KINDS]
    searchable = _Searchable()
    # Variants made once per kind, then picked per row: a million rows need no more.
    pools = {kind: [_entry(context, kind, searchable) for _ in range(POOL_SIZE)] for kind in kinds}
    now = context.now
    span = 3 * 365 * 86400 - 3600
    random, getrandbits, managers = rng.random, rng.getrandbits, context.manager_ids
    hour, day = dt.timedelta(hours=1), dt.timedelta(days=1)

    def rows() -> Any:
        chosen = rng.choices(kinds, weights, k=len(owners))
        for pk, (contact_id, company_id, deal_id), kind in zip(ids, owners, chosen, strict=True):
            pool = pools[kind]
            entry = pool[int(random() * len(pool))]
            occurred = now - dt.timedelta(seconds=3600 + int(random() * span))
            if kind == "meeting" and random() < 0.05:
                occurred = now + day * (1 + int(random() * 20))
            created = occurred if occurred < now else now
            edited = occurred + hour if random() < 0.02 else None
            yield (
                pk,
                str(uuid.UUID(int=getrandbits(128), version=4)),
                kind,
                contact_id,
                company_id,
                deal_id,
                occurred,
                entry["direction"],
                entry["subject"],
                entry["text"],
                entry["number"],
                entry["amount"],
                entry["currency"],
                entry["status"],
                entry["duration_seconds"],
                entry["details_json"],
                "",
                "",
                None,
                "",
                managers[int(random() * len(managers))],
                "",
                entry["search_text"],
                None,
                None,
                created,
                edited or created,
                edited,
            )

    context.count("activities", copy_rows(Activity._meta.db_table, COLUMNS, rows()))
    update_last_contact_set_based()


def _counted(alias: str) -> str:
    """crm.actions.timeline.counts_as_contact in SQL (the kinds are the one parameter)."""
    return (
        f"{alias}kind = ANY(%s) AND NOT ({alias}kind = 'call' AND {alias}direction = 'missed') "
        f"AND {alias}archived_at IS NULL AND {alias}occurred_at <= now()"
    )


def update_last_contact_set_based() -> None:
    """last_contact_at of every contact and company from the timeline, in two UPDATEs."""
    kinds = [str(kind) for kind in CONTACT_KINDS]
    counted = _counted("")
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE crm_contact AS c SET last_contact_at = latest.at
            FROM (SELECT contact_id, max(occurred_at) AS at FROM crm_activity
                  WHERE contact_id IS NOT NULL AND {counted} GROUP BY contact_id) AS latest
            WHERE c.id = latest.contact_id
              AND c.last_contact_at IS DISTINCT FROM latest.at
            """,  # noqa: S608 (no input in the SQL; the kinds are a parameter)
            [kinds],
        )
        cursor.execute(
            f"""
            UPDATE crm_company AS c SET last_contact_at = latest.at
            FROM (
                SELECT company_id, max(at) AS at FROM (
                    SELECT company_id, max(occurred_at) AS at FROM crm_activity
                    WHERE company_id IS NOT NULL AND {counted} GROUP BY company_id
                    UNION ALL
                    SELECT link.company_id, max(a.occurred_at) FROM crm_activity a
                    JOIN crm_contactcompany link ON link.contact_id = a.contact_id
                    WHERE {_counted("a.")}
                    GROUP BY link.company_id
                ) AS both_sides GROUP BY company_id
            ) AS latest
            WHERE c.id = latest.company_id
              AND c.last_contact_at IS DISTINCT FROM latest.at
            """,  # noqa: S608
            [kinds, kinds],
        )


SEED_STEPS.append(
    SeedStep(
        name="activities",
        run=seed_activities,
        help="Add N timeline entries (calls, meetings, e-mails, messages, proposals, "
        "invoices, payments, notes) with a long tail and one very busy contact.",
        tables=("crm_activity",),
    )
)
