# ruff: noqa: RUF001, S311 (Cyrillic names are the data; random is for fake data, not secrets)
"""Realistic Russian and Ukrainian client data at scale, for demos and benchmarks.

Used by `manage.py seed_crm`. Rows go in with PostgreSQL's COPY, in one transaction, with
ids chosen up front so links need no round trips: 100,000 contacts and 20,000 companies
with their phones, e-mails, messengers, tags, company links, consents, custom values and
history take well under two minutes. Only the custom field definitions, the source list
and the tags go through the actions (a handful of rows), so they are exactly what the
product would make; the bulk rows are written in the form the actions write them
(crm.normalize for search columns and phones, crm.custom_values for custom values).

Extending it (the daily-work issue adds deals, activities, tasks): write a step
`def seed_deals(context: SeedContext, count: int) -> None` in its own module that reads
`context.contact_ids`, `context.company_ids`, `context.manager_ids`, `context.random`,
uses `copy_rows` and `context.count(...)`, and appends a SeedStep to SEED_STEPS at
import; import the module at the bottom of this one. seed_crm then gains `--deals N`.
Steps run in SEED_STEPS order after contacts and companies (deals before activities
and tasks, which link to deals through `context.deal_ids`).
"""

import datetime as dt
import json
import random
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from crm import normalize
from crm.custom_values import normalize_value
from crm.models import (
    Company,
    Contact,
    CustomField,
    SourceChannel,
    Tag,
)
from tenants.members.models import User

# ---------------------------------------------------------------- vocabulary

# (male, female) surnames: Russian ones agree in gender, many Ukrainian ones do not.
SURNAMES: list[tuple[str, str]] = [
    *[
        (name, name + "а")
        for name in [
            "Иванов",
            "Петров",
            "Смирнов",
            "Кузнецов",
            "Попов",
            "Васильев",
            "Соколов",
            "Михайлов",
            "Новиков",
            "Фёдоров",
            "Морозов",
            "Волков",
            "Алексеев",
            "Лебедев",
            "Семёнов",
            "Егоров",
            "Павлов",
            "Козлов",
            "Степанов",
            "Николаев",
            "Орлов",
            "Андреев",
            "Макаров",
            "Никитин",
            "Захаров",
            "Зайцев",
            "Соловьёв",
            "Борисов",
            "Яковлев",
            "Григорьев",
            "Романов",
            "Воробьёв",
            "Сергеев",
            "Кузьмин",
            "Фролов",
            "Александров",
            "Дмитриев",
            "Королёв",
            "Гусев",
            "Киселёв",
            "Ильин",
            "Максимов",
            "Поляков",
            "Сорокин",
            "Виноградов",
            "Ковалёв",
            "Белов",
            "Медведев",
            "Антонов",
            "Тарасов",
            "Жуков",
            "Баранов",
            "Филиппов",
            "Комаров",
            "Давыдов",
            "Беляев",
            "Герасимов",
            "Богданов",
            "Осипов",
            "Сидоров",
        ]
    ],
    *[
        (name, name[:-2] + "ая")
        for name in [
            "Вознесенский",
            "Успенский",
            "Покровский",
            "Троицкий",
            "Преображенский",
            "Рождественский",
        ]
    ],
    *[
        (name, name[:-2] + "а")
        for name in [
            "Ковальський",
            "Савицький",
            "Левицький",
            "Вишневський",
            "Яворський",
            "Грушевський",
        ]
    ],
    *[
        (name, name)
        for name in [
            "Шевченко",
            "Коваленко",
            "Бондаренко",
            "Ткаченко",
            "Кравченко",
            "Олійник",
            "Мельник",
            "Поліщук",
            "Лисенко",
            "Марченко",
            "Руденко",
            "Савченко",
            "Петренко",
            "Клименко",
            "Павленко",
            "Кушнір",
            "Мороз",
            "Гончаренко",
            "Бойко",
            "Ковальчук",
            "Кравчук",
            "Тимошенко",
            "Левченко",
            "Литвиненко",
            "Гнатюк",
            "Довженко",
        ]
    ],
]
MALE_NAMES = [
    "Александр",
    "Дмитрий",
    "Максим",
    "Сергей",
    "Андрей",
    "Алексей",
    "Артём",
    "Илья",
    "Кирилл",
    "Михаил",
    "Никита",
    "Иван",
    "Евгений",
    "Павел",
    "Роман",
    "Владимир",
    "Николай",
    "Олег",
    "Виктор",
    "Игорь",
    "Олександр",
    "Андрій",
    "Тарас",
    "Богдан",
    "Микола",
    "Юрій",
    "Василь",
    "Дмитро",
    "Остап",
    "Ярослав",
]
FEMALE_NAMES = [
    "Анастасия",
    "Мария",
    "Анна",
    "Екатерина",
    "Ольга",
    "Татьяна",
    "Наталья",
    "Елена",
    "Ирина",
    "Светлана",
    "Юлия",
    "Дарья",
    "Алина",
    "Полина",
    "Ксения",
    "Виктория",
    "Марина",
    "Людмила",
    "Галина",
    "Оксана",
    "Олена",
    "Ірина",
    "Наталія",
    "Катерина",
    "Тетяна",
    "Юлія",
    "Ганна",
    "Софія",
    "Вікторія",
    "Леся",
]
# (father's name, son's patronymic, daughter's patronymic)
PATRONYMICS: list[tuple[str, str]] = [
    ("Александрович", "Александровна"),
    ("Сергеевич", "Сергеевна"),
    ("Андреевич", "Андреевна"),
    ("Дмитриевич", "Дмитриевна"),
    ("Алексеевич", "Алексеевна"),
    ("Иванович", "Ивановна"),
    ("Петрович", "Петровна"),
    ("Николаевич", "Николаевна"),
    ("Михайлович", "Михайловна"),
    ("Владимирович", "Владимировна"),
    ("Викторович", "Викторовна"),
    ("Юрьевич", "Юрьевна"),
    ("Олександрович", "Олександрівна"),
    ("Миколайович", "Миколаївна"),
    ("Васильович", "Василівна"),
    ("Петрович", "Петрівна"),
    ("Іванович", "Іванівна"),
]
FORMS_OF_ADDRESS = ["Саша", "Маша", "Лёша", "Катя", "по имени-отчеству", "на «вы»", "Женя"]
POSITIONS = [
    "Директор",
    "Генеральный директор",
    "Коммерческий директор",
    "Главный бухгалтер",
    "Бухгалтер",
    "Менеджер по закупкам",
    "Менеджер по продажам",
    "Руководитель отдела продаж",
    "Офис-менеджер",
    "Юрист",
    "Инженер",
    "Технический директор",
    "Маркетолог",
    "Снабженец",
    "Владелец",
    "Директорка",
    "Менеджерка",
]
CITIES_RU = [
    "Москва",
    "Санкт-Петербург",
    "Казань",
    "Екатеринбург",
    "Новосибирск",
    "Тверь",
    "Самара",
]
CITIES_UA = ["Київ", "Львів", "Одеса", "Харків", "Дніпро", "Вінниця"]
STREETS = ["ул. Ленина", "пр. Мира", "ул. Садовая", "вул. Шевченка", "ул. Гагарина", "вул. Франка"]
EMAIL_DOMAINS = ["mail.ru", "yandex.ru", "gmail.com", "ukr.net", "i.ua", "bk.ru", "inbox.ru"]
COMPANY_ROOTS = [
    "Альфа",
    "Вектор",
    "Гранит",
    "Меридиан",
    "Сфера",
    "Восток",
    "Север",
    "Интех",
    "Стройинвест",
    "Техносила",
    "Агропром",
    "Логистик",
    "Ресурс",
    "Профи",
    "Надежда",
    "Зенит",
    "Орбита",
    "Дельта",
    "Синтез",
    "Прогресс",
    "Феникс",
    "Атлант",
    "Квадрат",
    "Монолит",
    "Горизонт",
    "Импульс",
    "Партнер",
    "Кристалл",
    "Элемент",
    "Рассвет",
    "Світанок",
    "Злагода",
    "Добробут",
]
COMPANY_SUFFIXES = ["", "-Строй", "-Трейд", " Групп", "-Сервис", " Плюс", "-М", " Логистик"]
INDUSTRIES = [
    "Строительство",
    "Оптовая торговля",
    "Розничная торговля",
    "Производство",
    "IT",
    "Логистика",
    "Сельское хозяйство",
    "Услуги",
    "Общепит",
    "Медицина",
]
SOURCES = ["Сайт", "Рекомендация", "Холодный звонок", "Выставка", "Реклама", "Соцсети"]
TAGS = [
    "VIP",
    "опт",
    "розница",
    "новый",
    "постоянный",
    "должник",
    "партнёр",
    "тендер",
    "ключевой",
    "спящий",
    "Москва",
    "Київ",
    "экспорт",
    "дилер",
    "перспективный",
]
RU_MOBILE_PREFIXES = [
    "900 901 902 903 904 905 906 908 909 910 911 912 913 914 915 916 917 918 919 920 921 "
    "922 923 924 925 926 927 928 929 930 931 932 933 934 936 937 938 939 950 951 952 953 "
    "958 960 961 962 963 964 965 966 967 968 969 977 978 980 981 982 983 984 985 986 987 "
    "988 989 991 992 993 994 995 996 997 999"
][0].split()
UA_MOBILE_PREFIXES = ["50", "63", "66", "67", "68", "73", "93", "95", "96", "97", "98", "99"]

# The ten custom fields of mixed types the seed makes (contacts) and two for companies.
CONTACT_CUSTOM_FIELDS: list[dict[str, Any]] = [
    {
        "key": "client_number",
        "field_type": "text",
        "labels": {"ru": "Номер клиента", "en": "Client number"},
        "searchable": True,
    },
    {
        "key": "segment",
        "field_type": "single_choice",
        "labels": {"ru": "Сегмент", "en": "Segment"},
        "choices": [
            {"key": "retail", "labels": {"ru": "Розница", "en": "Retail"}},
            {"key": "wholesale", "labels": {"ru": "Опт", "en": "Wholesale"}},
            {"key": "partner", "labels": {"ru": "Партнёр", "en": "Partner"}},
            {"key": "dealer", "labels": {"ru": "Дилер", "en": "Dealer"}},
        ],
    },
    {
        "key": "interests",
        "field_type": "multiple_choice",
        "labels": {"ru": "Интересы", "en": "Interests"},
        "choices": [
            {"key": "delivery", "labels": {"ru": "Доставка", "en": "Delivery"}},
            {"key": "install", "labels": {"ru": "Монтаж", "en": "Installation"}},
            {"key": "service", "labels": {"ru": "Сервис", "en": "Service"}},
            {"key": "credit", "labels": {"ru": "Рассрочка", "en": "Credit"}},
        ],
    },
    {
        "key": "loyalty_points",
        "field_type": "integer",
        "labels": {"ru": "Баллы", "en": "Loyalty points"},
        "indexed": True,
    },
    {
        "key": "discount",
        "field_type": "decimal",
        "labels": {"ru": "Скидка, %", "en": "Discount, %"},
    },
    {"key": "budget", "field_type": "money", "labels": {"ru": "Бюджет", "en": "Budget"}},
    {
        "key": "contract_date",
        "field_type": "date",
        "labels": {"ru": "Дата договора", "en": "Contract date"},
        "indexed": True,
    },
    {
        "key": "last_visit",
        "field_type": "datetime",
        "labels": {"ru": "Последний визит", "en": "Last visit"},
    },
    {
        "key": "newsletter",
        "field_type": "boolean",
        "labels": {"ru": "Рассылка", "en": "Newsletter"},
    },
    {
        "key": "comment",
        "field_type": "long_text",
        "labels": {"ru": "Комментарий", "en": "Comment"},
        "searchable": True,
    },
]
COMPANY_CUSTOM_FIELDS: list[dict[str, Any]] = [
    {
        "key": "contract_number",
        "field_type": "text",
        "labels": {"ru": "Номер договора", "en": "Contract number"},
        "searchable": True,
    },
    {
        "key": "credit_limit",
        "field_type": "money",
        "labels": {"ru": "Кредитный лимит", "en": "Credit limit"},
    },
]


# ---------------------------------------------------------------- plumbing


@dataclass
class SeedContext:
    """What the steps share: randomness, the time, the people and what was made so far."""

    random: random.Random
    now: dt.datetime
    default_country: str
    manager_ids: list[int]
    source_ids: list[int] = field(default_factory=list)
    tag_ids: list[int] = field(default_factory=list)
    contact_ids: list[int] = field(default_factory=list)
    company_ids: list[int] = field(default_factory=list)
    deal_ids: list[int] = field(default_factory=list)
    made: dict[str, int] = field(default_factory=dict)

    def count(self, name: str, number: int) -> None:
        self.made[name] = self.made.get(name, 0) + number

    def past(self, days: int = 3 * 365) -> dt.datetime:
        return self.now - dt.timedelta(seconds=self.random.randint(3600, days * 86400))


@dataclass(frozen=True)
class SeedStep:
    """One more kind of data seed_crm can add: `--<name> N` runs `run(context, N)`."""

    name: str
    run: Callable[[SeedContext, int], None]
    help: str
    # Tables the step fills: analysed afterwards, indexes rebuilt after big loads.
    tables: tuple[str, ...] = ()


# Modules of later issues append theirs (see the module's docstring).
SEED_STEPS: list[SeedStep] = []
# Deals first: activities and tasks link to deals through context.deal_ids.
RUN_ORDER = ("deals", "activities", "tasks")


def copy_rows(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """COPY `rows` into `table` of the current schema; returns how many."""
    count = 0
    with connection.cursor() as cursor:
        raw = cursor.cursor
        quoted = ", ".join(connection.ops.quote_name(column) for column in columns)
        statement = f"COPY {connection.ops.quote_name(table)} ({quoted}) FROM STDIN"
        with raw.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
    return count


def next_ids(model: Any, count: int) -> list[int]:
    """`count` fresh ids for `model`, taken from its identity sequence in one query."""
    if count <= 0:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [model._meta.db_table, count],
        )
        return [row[0] for row in cursor.fetchall()]


def _jsonb(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


# ---------------------------------------------------------------- generators


def _phone(context: SeedContext) -> tuple[str, str]:
    """(E.164, as typed): Russian mobiles in many spellings, some Ukrainian ones."""
    rng = context.random
    if rng.random() < 0.8:
        prefix = rng.choice(RU_MOBILE_PREFIXES)
        rest = f"{rng.randint(0, 9_999_999):07d}"
        e164 = f"+7{prefix}{rest}"
        a, b, c = rest[:3], rest[3:5], rest[5:]
        typed = rng.choice(
            [
                f"+7 {prefix} {a}-{b}-{c}",
                f"8 ({prefix}) {a}-{b}-{c}",
                f"8{prefix}{rest}",
                f"+7({prefix}){rest}",
                f"+7 {prefix} {a} {b} {c}",
                f"8-{prefix}-{a}-{b}-{c}",
            ]
        )
        return e164, typed
    prefix = rng.choice(UA_MOBILE_PREFIXES)
    rest = f"{rng.randint(0, 9_999_999):07d}"
    e164 = f"+380{prefix}{rest}"
    typed = rng.choice(
        [
            f"+380 {prefix} {rest[:3]} {rest[3:5]} {rest[5:]}",
            f"+380({prefix}){rest[:3]}-{rest[3:5]}-{rest[5:]}",
            f"+380{prefix}{rest}",
        ]
    )
    return e164, typed


def _inn10(rng: random.Random) -> str:
    first = f"{rng.randint(1, 99):02d}{rng.randint(0, 9_999_999):07d}"
    return first + str(normalize.inn10_check_digit(first))


def _edrpou(rng: random.Random) -> str:
    first = f"{rng.randint(0, 4_999_999):07d}"
    return first + str(normalize.edrpou_check_digit(first))


def _custom_pools(context: SeedContext, definitions: list[CustomField]) -> dict[str, list[Any]]:
    """A few hundred stored values per field, made by the engine's own normaliser."""
    rng = context.random
    pools: dict[str, list[Any]] = {}
    for definition in definitions:
        raws: list[Any] = []
        for number in range(300):
            kind = definition.field_type
            if kind == "text":
                raws.append(f"{definition.key[:2].upper()}-{rng.randint(10000, 99999)}")
            elif kind == "long_text":
                raws.append(
                    rng.choice(
                        [
                            "Просил перезвонить после праздников",
                            "Интересуется оптовыми ценами",
                            "Звонить только после 14:00",
                            "Цікавиться доставкою до Львова",
                            "Постоянный клиент с 2019 года",
                        ]
                    )
                    + f" ({number})"
                )
            elif kind == "integer":
                raws.append(rng.randint(0, 10_000))
            elif kind == "decimal":
                raws.append(f"{rng.randint(0, 30)}.{rng.randint(0, 99):02d}")
            elif kind == "money":
                raws.append(
                    {
                        "amount": f"{rng.randint(1, 5000) * 100}",
                        "currency": rng.choice(["RUB", "RUB", "UAH", "USD"]),
                    }
                )
            elif kind == "date":
                raws.append(
                    (context.now - dt.timedelta(days=rng.randint(0, 2000))).date().isoformat()
                )
            elif kind == "datetime":
                raws.append(context.past(400))
            elif kind == "boolean":
                raws.append(rng.random() < 0.5)
            elif kind == "single_choice":
                raws.append(rng.choice(definition.choices)["key"])
            elif kind == "multiple_choice":
                keys = [choice["key"] for choice in definition.choices]
                raws.append(rng.sample(keys, rng.randint(1, len(keys))))
        pools[definition.key] = [normalize_value(definition, raw) for raw in raws]
    return pools


def _custom_values(
    context: SeedContext, pools: dict[str, list[Any]], fill: float
) -> dict[str, Any]:
    rng = context.random
    return {key: rng.choice(values) for key, values in pools.items() if rng.random() < fill}


# ---------------------------------------------------------------- reference rows


def _ensure_definitions(acting_user: User) -> tuple[list[CustomField], list[CustomField]]:
    from crm.actions.custom_fields import create_custom_field

    existing = {(f.entity, f.key) for f in CustomField.objects.all()}
    for entity, specs in (("contact", CONTACT_CUSTOM_FIELDS), ("company", COMPANY_CUSTOM_FIELDS)):
        for spec in specs:
            if (entity, spec["key"]) not in existing:
                create_custom_field(acting_user=acting_user, entity=entity, **spec)
    contact_keys = [spec["key"] for spec in CONTACT_CUSTOM_FIELDS]
    company_keys = [spec["key"] for spec in COMPANY_CUSTOM_FIELDS]
    contact_fields = list(CustomField.objects.filter(entity="contact", key__in=contact_keys))
    company_fields = list(CustomField.objects.filter(entity="company", key__in=company_keys))
    return contact_fields, company_fields


def _ensure_sources_and_tags(acting_user: User) -> tuple[list[int], list[int]]:
    from crm.actions.clients import create_source_channel

    known = {name.casefold() for name in SourceChannel.objects.values_list("name", flat=True)}
    for name in SOURCES:
        if name.casefold() not in known:
            create_source_channel(acting_user=acting_user, name=name)
    known_tags = {name.casefold() for name in Tag.objects.values_list("name", flat=True)}
    Tag.objects.bulk_create([Tag(name=name) for name in TAGS if name.casefold() not in known_tags])
    source_ids = list(
        SourceChannel.objects.filter(archived_at__isnull=True).values_list("id", flat=True)
    )
    return source_ids, list(Tag.objects.values_list("id", flat=True))


# ---------------------------------------------------------------- steps


def seed_companies(context: SeedContext, count: int, definitions: list[CustomField]) -> None:
    rng = context.random
    ids = next_ids(Company, count)
    pools = _custom_pools(context, definitions)
    used_tax: set[str] = set(
        Company.objects.exclude(tax_number="").values_list("tax_number", flat=True)
    )
    companies, phones, emails, tags, history = [], [], [], [], []
    phone_ids_needed = 0
    for company_id in ids:
        ukrainian = rng.random() < 0.25
        root = rng.choice(COMPANY_ROOTS) + rng.choice(COMPANY_SUFFIXES)
        form = "ТОВ" if ukrainian else rng.choice(["ООО", "ООО", "АО", "ИП"])
        name = f"{root} {rng.randint(1, 999)}" if rng.random() < 0.5 else root
        legal_name = f"{form} «{name}»"
        while True:
            tax = _edrpou(rng) if ukrainian else _inn10(rng)
            if tax not in used_tax:
                used_tax.add(tax)
                break
        created = context.past()
        city = rng.choice(CITIES_UA if ukrainian else CITIES_RU)
        addresses = [
            {"label": "legal", "text": f"{city}, {rng.choice(STREETS)}, {rng.randint(1, 150)}"}
        ]
        custom = _custom_values(context, pools, 0.6)
        responsible = rng.choice(context.manager_ids)
        slug = normalize.search_text(root).replace(" ", "") or "firm"
        website = (
            f"https://{slug}{company_id}.{'com.ua' if ukrainian else 'ru'}"
            if rng.random() < 0.6
            else ""
        )
        companies.append(
            (
                company_id,
                name,
                legal_name,
                tax,
                rng.choice(INDUSTRIES),
                rng.choice([None, 5, 12, 40, 120, 500]),
                website,
                _jsonb(addresses),
                rng.choice(context.source_ids) if context.source_ids else None,
                responsible,
                "",
                _jsonb(custom),
                None,
                created,
                created,
                responsible,
                normalize.search_text(name, legal_name),
            )
        )
        for position in range(rng.choice([1, 1, 2])):
            e164, typed = _phone(context)
            phones.append(
                (company_id, e164, typed, "work", normalize.digits_of(e164)[::-1], position)
            )
            phone_ids_needed += 1
        if website:
            address = f"info@{website.split('//')[1]}"
            emails.append((company_id, address, address.casefold(), 0))
        for tag_id in rng.sample(context.tag_ids, rng.randint(0, 2)) if context.tag_ids else []:
            tags.append((company_id, tag_id))
        history.append(
            (
                "company",
                company_id,
                "record",
                None,
                _jsonb(name),
                responsible,
                "",
                "import",
                uuid.uuid4(),
                created,
            )
        )
    copy_rows(
        "crm_company",
        [
            "id",
            "name",
            "legal_name",
            "tax_number",
            "industry",
            "headcount",
            "website",
            "addresses",
            "source_id",
            "responsible_id",
            "pinned_note",
            "custom",
            "archived_at",
            "created_at",
            "updated_at",
            "created_by_id",
            "name_search",
        ],
        companies,
    )
    context.count("companies", len(companies))
    context.count(
        "phones",
        copy_rows(
            "crm_phone",
            ["company_id", "e164", "raw", "label", "digits_reversed", "position"],
            phones,
        ),
    )
    context.count(
        "emails",
        copy_rows("crm_email", ["company_id", "address", "address_casefold", "position"], emails),
    )
    context.count("tag_links", copy_rows("crm_company_tags", ["company_id", "tag_id"], tags))
    context.count("history", _copy_history(history))
    context.company_ids.extend(ids)


def _copy_history(rows: list[tuple[Any, ...]]) -> int:
    return copy_rows(
        "crm_changerecord",
        [
            "record_type",
            "record_id",
            "field",
            "old",
            "new",
            "actor_id",
            "actor_label",
            "via",
            "changeset",
            "at",
        ],
        rows,
    )


def seed_contacts(context: SeedContext, count: int, definitions: list[CustomField]) -> None:
    rng = context.random
    ids = next_ids(Contact, count)
    pools = _custom_pools(context, definitions)
    contacts: list[tuple[Any, ...]] = []
    phones: list[tuple[Any, ...]] = []
    emails: list[tuple[Any, ...]] = []
    messengers: list[tuple[Any, ...]] = []
    tags: list[tuple[Any, ...]] = []
    links: list[tuple[Any, ...]] = []
    consents: list[tuple[Any, ...]] = []
    history: list[tuple[Any, ...]] = []
    used_emails: set[str] = set()
    for contact_id in ids:
        female = rng.random() < 0.5
        male_surname, female_surname = rng.choice(SURNAMES)
        surname = female_surname if female else male_surname
        first_name = rng.choice(FEMALE_NAMES if female else MALE_NAMES)
        son, daughter = rng.choice(PATRONYMICS)
        patronymic = (daughter if female else son) if rng.random() < 0.85 else ""
        created = context.past()
        responsible = rng.choice(context.manager_ids)
        birthday = (
            dt.date(rng.randint(1955, 2003), rng.randint(1, 12), rng.randint(1, 28))
            if rng.random() < 0.6
            else None
        )
        form_of_address = rng.choice(FORMS_OF_ADDRESS) if rng.random() < 0.1 else ""
        pinned = "Звонить после обеда, не раньше 14:00" if rng.random() < 0.05 else ""
        custom = _custom_values(context, pools, 0.7)
        consent_pd = consent_ad = ""
        if rng.random() < 0.55:
            given_at = created + dt.timedelta(minutes=5)
            consents.append(
                (
                    contact_id,
                    "personal_data",
                    "given",
                    given_at,
                    rng.choice(["form", "manual", "import"]),
                    "Политика обработки ПДн v2",
                    responsible,
                    "",
                    given_at,
                )
            )
            consent_pd = "given"
            if rng.random() < 0.05:
                withdrawn_at = given_at + dt.timedelta(days=rng.randint(1, 300))
                if withdrawn_at < context.now:
                    consents.append(
                        (
                            contact_id,
                            "personal_data",
                            "withdrawn",
                            withdrawn_at,
                            "manual",
                            "",
                            responsible,
                            "",
                            withdrawn_at,
                        )
                    )
                    consent_pd = "withdrawn"
        if rng.random() < 0.3:
            given_at = created + dt.timedelta(minutes=6)
            consents.append(
                (
                    contact_id,
                    "advertising",
                    "given",
                    given_at,
                    "form",
                    "Согласие на рассылку v1",
                    responsible,
                    "",
                    given_at,
                )
            )
            consent_ad = "given"
        contacts.append(
            (
                contact_id,
                surname,
                first_name,
                patronymic,
                form_of_address,
                birthday,
                rng.choice(POSITIONS) if rng.random() < 0.7 else "",
                f"{rng.choice(CITIES_RU + CITIES_UA)}, {rng.choice(STREETS)}, {rng.randint(1, 150)}"
                if rng.random() < 0.3
                else "",
                rng.choice(context.source_ids) if context.source_ids else None,
                responsible,
                pinned,
                _jsonb(custom),
                None,
                created,
                created,
                responsible,
                normalize.search_text(surname, first_name, patronymic, form_of_address),
                consent_pd,
                consent_ad,
                None,
            )
        )
        for position in range(rng.choice([1, 1, 1, 2, 2, 0])):
            e164, typed = _phone(context)
            phones.append(
                (
                    contact_id,
                    e164,
                    typed,
                    rng.choice(["mobile", "mobile", "work", "home"]),
                    normalize.digits_of(e164)[::-1],
                    position,
                )
            )
        if rng.random() < 0.75:
            local = (
                f"{normalize.search_text(first_name)[:1]}.{normalize.search_text(surname)}".replace(
                    " ", ""
                )
            )
            address = f"{local}@{rng.choice(EMAIL_DOMAINS)}"
            if address.casefold() in used_emails:
                address = f"{local}{contact_id}@{rng.choice(EMAIL_DOMAINS)}"
            used_emails.add(address.casefold())
            emails.append((contact_id, address, address.casefold(), 0))
        if rng.random() < 0.3:
            kind = rng.choice(["telegram", "whatsapp", "viber"])
            handle = (
                f"@{normalize.search_text(first_name)}_{contact_id}"
                if kind == "telegram"
                else (phones[-1][1] if phones and phones[-1][0] == contact_id else f"@{contact_id}")
            )
            messengers.append((contact_id, kind, handle, 0))
        for tag_id in (
            rng.sample(context.tag_ids, rng.choice([0, 0, 1, 1, 2, 3])) if context.tag_ids else []
        ):
            tags.append((contact_id, tag_id))
        if context.company_ids and rng.random() < 0.65:
            for company_id in {
                rng.choice(context.company_ids) for _ in range(rng.choice([1, 1, 1, 2]))
            }:
                links.append((contact_id, company_id, rng.choice(POSITIONS), created))
        changeset = uuid.uuid4()
        history.append(
            (
                "contact",
                contact_id,
                "record",
                None,
                _jsonb(f"{surname} {first_name}"),
                responsible,
                "",
                "import",
                changeset,
                created,
            )
        )
        if rng.random() < 0.15:
            changed = created + dt.timedelta(days=rng.randint(1, 200))
            if changed < context.now:
                history.append(
                    (
                        "contact",
                        contact_id,
                        "position",
                        _jsonb("Менеджер"),
                        _jsonb("Директор"),
                        responsible,
                        "",
                        "form",
                        uuid.uuid4(),
                        changed,
                    )
                )
    copy_rows(
        "crm_contact",
        [
            "id",
            "surname",
            "first_name",
            "patronymic",
            "form_of_address",
            "birthday",
            "position",
            "address",
            "source_id",
            "responsible_id",
            "pinned_note",
            "custom",
            "archived_at",
            "created_at",
            "updated_at",
            "created_by_id",
            "name_search",
            "consent_personal_data",
            "consent_advertising",
            "merged_into_id",
        ],
        contacts,
    )
    context.count("contacts", len(contacts))
    context.count(
        "phones",
        copy_rows(
            "crm_phone",
            ["contact_id", "e164", "raw", "label", "digits_reversed", "position"],
            phones,
        ),
    )
    context.count(
        "emails",
        copy_rows("crm_email", ["contact_id", "address", "address_casefold", "position"], emails),
    )
    context.count(
        "messengers",
        copy_rows("crm_messenger", ["contact_id", "kind", "handle", "position"], messengers),
    )
    context.count("tag_links", copy_rows("crm_contact_tags", ["contact_id", "tag_id"], tags))
    context.count(
        "company_links",
        copy_rows(
            "crm_contactcompany", ["contact_id", "company_id", "position", "created_at"], links
        ),
    )
    context.count(
        "consents",
        copy_rows(
            "crm_consentrecord",
            [
                "contact_id",
                "kind",
                "status",
                "at",
                "source",
                "text_version",
                "recorded_by_id",
                "recorded_by_label",
                "created_at",
            ],
            consents,
        ),
    )
    context.count("history", _copy_history(history))
    context.contact_ids.extend(ids)


BULK_TABLES = ("crm_contact", "crm_company", "crm_phone", "crm_email", "crm_changerecord")
# Below this many new rows, keeping the indexes is cheaper than rebuilding them.
REBUILD_INDEXES_FROM = 20_000


@contextmanager
def indexes_rebuilt_after(tables: Sequence[str], enabled: bool) -> Iterator[None]:
    """Drop the plain (non-unique, non-constraint) indexes of `tables`, run the block, and
    create them again from their own definitions, in the caller's transaction.

    Building a GIN trigram index once over 100,000 rows is several times faster than
    updating it row by row. The definitions are read back from the catalog
    (pg_get_indexdef), so the indexes come back exactly as the migrations made them, with
    their names; a failure rolls the whole thing back.
    """
    if not enabled:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT quote_ident(ic.relname), pg_get_indexdef(i.indexrelid)
            FROM pg_index i
            JOIN pg_class ic ON ic.oid = i.indexrelid
            JOIN pg_class tc ON tc.oid = i.indrelid
            WHERE tc.relnamespace = current_schema()::regnamespace
              AND tc.relname = ANY(%s)
              AND NOT i.indisunique AND NOT i.indisprimary
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
            """,
            [list(tables)],
        )
        indexes = cursor.fetchall()
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {name}")
    yield
    with connection.cursor() as cursor:
        # Foreign keys are checked at commit (deferred); check them now, as CREATE INDEX
        # refuses a table with pending trigger events.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        for _name, definition in indexes:
            cursor.execute(definition)


def seed_workspace(
    *,
    contacts: int,
    companies: int,
    seed: int | None = None,
    acting_user: User | None = None,
    more: dict[str, int] | None = None,
) -> dict[str, Any]:
    """Fill the current workspace (the connection's tenant) with realistic clients.

    Adds to what is there. `more` gives the count of each registered SeedStep to run
    ({"deals": 50000}). Returns what was made, by kind, and the seconds it took.
    """
    more = {name: count for name, count in (more or {}).items() if count}
    unknown = set(more) - {step.name for step in SEED_STEPS}
    if unknown:
        raise ValueError(f"unknown seed steps: {', '.join(sorted(unknown))}")
    steps = sorted(
        (step for step in SEED_STEPS if step.name in more),
        key=lambda step: RUN_ORDER.index(step.name) if step.name in RUN_ORDER else len(RUN_ORDER),
    )
    started = time.monotonic()
    managers = list(User.objects.filter(is_active=True).order_by("id"))
    if not managers:
        raise ValueError("the workspace has no active member to make responsible")
    owner = acting_user or next((u for u in managers if u.is_workspace_admin), managers[0])
    tenant = getattr(connection, "tenant", None)
    context = SeedContext(
        random=random.Random(seed),
        now=timezone.now(),
        default_country=str(getattr(tenant, "default_country", "") or "RU"),
        manager_ids=[u.pk for u in managers],
    )
    with transaction.atomic():
        contact_fields, company_fields = _ensure_definitions(owner)
        context.source_ids, context.tag_ids = _ensure_sources_and_tags(owner)
        context.made["custom_fields"] = len(contact_fields) + len(company_fields)
        with indexes_rebuilt_after(BULK_TABLES, contacts + companies >= REBUILD_INDEXES_FROM):
            if companies:
                seed_companies(context, companies, company_fields)
            if contacts:
                seed_contacts(context, contacts, contact_fields)
        if steps and not (context.contact_ids or context.company_ids):
            context.contact_ids = list(Contact.objects.values_list("id", flat=True))
            context.company_ids = list(Company.objects.values_list("id", flat=True))
        for step in steps:
            with indexes_rebuilt_after(step.tables, more[step.name] >= REBUILD_INDEXES_FROM):
                step.run(context, more[step.name])
    with connection.cursor() as cursor:
        for table in (
            "crm_contact",
            "crm_company",
            "crm_phone",
            "crm_email",
            "crm_contactcompany",
            "crm_changerecord",
            *(table for step in steps for table in step.tables),
        ):
            # VACUUM also sets the visibility map (index-only scans); not possible inside a
            # transaction (a test's), where statistics alone will do.
            command = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
            cursor.execute(f"{command} {connection.ops.quote_name(table)}")
    return {**context.made, "seconds": round(time.monotonic() - started, 2)}


# The daily-work steps register themselves in SEED_STEPS (import order is isort's, so
# seed_workspace runs them in RUN_ORDER).
import crm.seeding_deals  # noqa: E402
import crm.seeding_tasks  # noqa: E402
import crm.seeding_timeline  # noqa: E402, F401
