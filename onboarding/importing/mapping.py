# ruff: noqa: RUF001, RUF002 (Cyrillic letters and apostrophes are the point of these tables)
"""Matching the columns of an imported file to the fields of the CRM.

`import_targets(entity)` lists what a column can be imported into: the standard fields
(keys agreed with the import engine) and the entity's active custom fields
("custom.<key>"). `suggest_mapping(headers, entity)` proposes a target for each column,
with a confidence 0..1 and a reason shown to the user:

1. the header, normalised (case, ё/е, punctuation, vendor prefixes such as Pipedrive's
   "Person - "), equals a field's label (in any language), a custom field's key, or a
   known column name of amoCRM/Kommo, Bitrix24, HubSpot, Pipedrive and 1C exports
   (Russian, Ukrainian and English), also compared transliterated (crm.normalize) so
   "Familiya" meets "Фамилия";
2. the same after dropping noise words ("контакта", "основной", "2", "(contact)");
3. a key word inside the header ("Телефон для связи" -> phone);
4. a similar name (difflib), with a low confidence.

A single-valued target takes one column at most (the most confident one); phones,
e-mails, tags, notes and company addresses may take several.
"""

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _
from django.utils.translation import override

from crm.models.custom_fields import CustomField, Entity
from crm.normalize import search_text
from crm.selectors.custom_fields import active_custom_fields

CONTACTS = "contacts"
COMPANIES = "companies"


@dataclass(frozen=True)
class ImportTarget:
    """Something a column can be imported into."""

    key: str  # "surname", "phone_mobile", "custom.<key>", ...
    label: str
    kind: str  # text, name, phone, email, date, tags, note, member, company, ... or a custom type
    multiple: bool = False  # several columns may be imported into it


@dataclass(frozen=True)
class MappingSuggestion:
    column: int
    header: str
    target: str | None
    confidence: float
    reason: str


def _entity(entity: str) -> str:
    value = str(entity).lower()
    if value in ("contacts", "contact", Entity.CONTACT):
        return CONTACTS
    if value in ("companies", "company", Entity.COMPANY):
        return COMPANIES
    raise ValueError(f"Unknown import entity: {entity!r}")


def _crm_entity(entity: str) -> str:
    return Entity.CONTACT if _entity(entity) == CONTACTS else Entity.COMPANY


# (key, label, kind, multiple): the standard targets, in the order a wizard lists them.
_CONTACT_TARGETS = (
    ("full_name", _("Full name (split into surname, first name, patronymic)"), "name", False),
    ("surname", _("Surname"), "text", False),
    ("first_name", _("First name"), "text", False),
    ("patronymic", _("Patronymic"), "text", False),
    ("form_of_address", _("Preferred form of address"), "text", False),
    ("phone", _("Phone"), "phone", True),
    ("phone_mobile", _("Mobile phone"), "phone", True),
    ("phone_work", _("Work phone"), "phone", True),
    ("phone_home", _("Home phone"), "phone", True),
    ("email", _("E-mail"), "email", True),
    ("telegram", _("Telegram"), "messenger", False),
    ("whatsapp", _("WhatsApp"), "messenger", False),
    ("viber", _("Viber"), "messenger", False),
    ("birthday", _("Birthday"), "date", False),
    ("position", _("Position"), "text", False),
    ("address", _("Address"), "text", False),
    ("source", _("Source"), "source", False),
    ("responsible", _("Responsible manager"), "member", False),
    ("tags", _("Tags"), "tags", True),
    ("note", _("Note on the timeline"), "note", True),
    ("pinned_note", _("Pinned note"), "text", False),
    ("company_name", _("Company (by name)"), "company", False),
    ("company_tax_number", _("Company tax number"), "tax_number", False),
    ("consent_personal_data", _("Consent to personal data processing"), "boolean", False),
    ("consent_advertising", _("Consent to advertising"), "boolean", False),
    ("external_id", _("ID in the previous system"), "external_id", False),
)
_COMPANY_TARGETS = (
    ("name", _("Name"), "text", False),
    ("legal_name", _("Legal name"), "text", False),
    ("tax_number", _("Tax number"), "tax_number", False),
    ("industry", _("Industry"), "text", False),
    ("headcount", _("Headcount"), "integer", False),
    ("website", _("Website"), "url", False),
    ("phone", _("Phone"), "phone", True),
    ("email", _("E-mail"), "email", True),
    ("address", _("Address"), "text", True),
    ("source", _("Source"), "source", False),
    ("responsible", _("Responsible manager"), "member", False),
    ("tags", _("Tags"), "tags", True),
    ("note", _("Note on the timeline"), "note", True),
    ("pinned_note", _("Pinned note"), "text", False),
    ("external_id", _("ID in the previous system"), "external_id", False),
)

# Known column names -> target, shared by both entities (then per entity below).
_COMMON_SYNONYMS: dict[str, tuple[str, ...]] = {
    "phone": (
        "телефон",
        "телефоны",
        "тел",
        "номер телефона",
        "контактный телефон",
        "телефон для связи",
        "другой телефон",
        "phone",
        "phone number",
        "phones",
        "telephone",
        "tel",
        "contact phone",
        "телефони",
        "номер телефону",
        "контактний телефон",
        "person phone",
        "phone other",
        "другой",
    ),
    "phone_mobile": (
        "мобильный телефон",
        "мобильный",
        "моб телефон",
        "моб тел",
        "сотовый",
        "сотовый телефон",
        "mobile",
        "mobile phone",
        "mobile phone number",
        "cell phone",
        "cell",
        "phone mobile",
        "мобільний телефон",
        "мобільний",
    ),
    "phone_work": (
        "рабочий телефон",
        "раб телефон",
        "служебный телефон",
        "телефон рабочий",
        "work phone",
        "phone work",
        "office phone",
        "business phone",
        "робочий телефон",
        "прямой телефон",
    ),
    "phone_home": (
        "домашний телефон",
        "home phone",
        "phone home",
        "домашній телефон",
    ),
    "email": (
        "email",
        "e-mail",
        "e mail",
        "емейл",
        "имейл",
        "электронная почта",
        "эл почта",
        "почта",
        "рабочий email",
        "рабочий e-mail",
        "личный email",
        "частный e-mail",
        "частный email",
        "другой email",
        "другой e-mail",
        "email address",
        "email work",
        "email home",
        "email other",
        "work email",
        "personal email",
        "mail",
        "электронный адрес",
        "адрес электронной почты",
        "електронна пошта",
        "пошта",
        "ел пошта",
        "e-mail рабочий",
        "e-mail для рассылок",
    ),
    "tags": ("теги", "тег", "метки", "tags", "tag", "labels", "label", "мітки", "теґи", "мітка"),
    "note": (
        "примечание",
        "примечания",
        "комментарий",
        "комментарии",
        "заметка",
        "заметки",
        "описание",
        "note",
        "notes",
        "comment",
        "comments",
        "description",
        "примітка",
        "примітки",
        "коментар",
        "коментарі",
        "нотатки",
        "опис",
    ),
    "pinned_note": ("закрепленная заметка", "pinned note", "закріплена нотатка"),
    "responsible": (
        "ответственный",
        "ответственный менеджер",
        "менеджер",
        "ответственный за контакт",
        "owner",
        "contact owner",
        "company owner",
        "person owner",
        "organization owner",
        "account owner",
        "sales rep",
        "відповідальний",
        "відповідальний менеджер",
        "менеджер компании",
        "ответственный за компанию",
    ),
    "source": (
        "источник",
        "источник контакта",
        "источник компании",
        "канал",
        "рекламный канал",
        "source",
        "original source",
        "lead source",
        "джерело",
        "канал залучення",
        "откуда узнал",
        "откуда пришел",
    ),
    "external_id": (
        "id",
        "ид",
        "код",
        "идентификатор",
        "record id",
        "contact id",
        "company id",
        "person id",
        "organization id",
        "external id",
        "внешний id",
        "id контакта",
        "id компании",
        "ід",
        "код контрагента",
        "уникальный идентификатор",
    ),
    "address": (
        "адрес",
        "адреса",
        "address",
        "street address",
        "почтовый адрес",
        "фактический адрес",
        "юридический адрес",
        "адрес доставки",
        "юридична адреса",
        "фактична адреса",
        "поштова адреса",
        "full address",
    ),
}

_CONTACT_SYNONYMS: dict[str, tuple[str, ...]] = {
    "full_name": (
        "фио",
        "ф и о",
        "полное имя",
        "полное имя контакта",
        "имя контакта",
        "контакт",
        "контактное лицо",
        "name",
        "full name",
        "contact name",
        "person name",
        "person",
        "клиент",
        "покупатель",
        "пиб",
        "пібб",
        "повне ім'я",
        "ім'я та прізвище",
        "наименование",
        "contact",
        "client",
        "customer",
    ),
    "surname": (
        "фамилия",
        "last name",
        "lastname",
        "surname",
        "family name",
        "прізвище",
        "фамилия контакта",
    ),
    "first_name": (
        "имя",
        "first name",
        "firstname",
        "given name",
        "ім'я",
        "імя",
        "имя контакта ",
    ),
    "patronymic": (
        "отчество",
        "middle name",
        "middlename",
        "patronymic",
        "по батькові",
        "побатькові",
        "отчество контакта",
    ),
    "form_of_address": (
        "обращение",
        "как обращаться",
        "salutation",
        "title salutation",
        "звернення",
        "форма обращения",
    ),
    "telegram": ("telegram", "телеграм", "телеграмм", "tg", "telegram username", "ник в telegram"),
    "whatsapp": ("whatsapp", "ватсап", "вотсап", "вацап", "whats app"),
    "viber": ("viber", "вайбер"),
    "birthday": (
        "день рождения",
        "дата рождения",
        "birthday",
        "birth date",
        "date of birth",
        "birthdate",
        "дата народження",
        "день народження",
        "др",
    ),
    "position": (
        "должность",
        "должность контакта",
        "job title",
        "title",
        "position",
        "role",
        "посада",
        "должность (контакт)",
    ),
    "company_name": (
        "компания",
        "название компании",
        "компания контакта",
        "организация",
        "наименование организации",
        "company",
        "company name",
        "organization",
        "organisation",
        "account",
        "account name",
        "person organization",
        "компанія",
        "організація",
        "назва компанії",
        "место работы",
        "работодатель",
        "employer",
        "associated company",
    ),
    "company_tax_number": (
        "инн",
        "инн компании",
        "инн организации",
        "инн контрагента",
        "tax id",
        "inn",
        "єдрпоу",
        "код єдрпоу",
        "іпн",
        "рнокпп",
        "vat",
        "vat number",
    ),
    "consent_personal_data": (
        "согласие на обработку персональных данных",
        "согласие на обработку пд",
        "согласие пд",
        "gdpr consent",
        "consent",
        "згода на обробку персональних даних",
    ),
    "consent_advertising": (
        "согласие на рассылку",
        "согласие на рекламу",
        "подписка на рассылку",
        "разрешена рассылка",
        "marketing consent",
        "marketing emails",
        "subscribed",
        "email subscription",
        "згода на розсилку",
    ),
}

_COMPANY_SYNONYMS: dict[str, tuple[str, ...]] = {
    "name": (
        "наименование",
        "название",
        "название компании",
        "компания",
        "организация",
        "наименование организации",
        "контрагент",
        "краткое наименование",
        "рабочее наименование",
        "name",
        "company",
        "company name",
        "organization",
        "organization name",
        "organisation",
        "account name",
        "назва",
        "назва компанії",
        "компанія",
        "найменування",
        "організація",
        "контрагент наименование",
    ),
    "legal_name": (
        "полное наименование",
        "юридическое наименование",
        "юридическое название",
        "полное название",
        "наименование полное",
        "legal name",
        "registered name",
        "full legal name",
        "повне найменування",
        "юридична назва",
    ),
    "tax_number": (
        "инн",
        "инн компании",
        "инн организации",
        "инн контрагента",
        "tax id",
        "inn",
        "tax number",
        "vat",
        "vat number",
        "vat id",
        "єдрпоу",
        "код єдрпоу",
        "код за єдрпоу",
        "іпн",
        "рнокпп",
        "унп",
        "бин",
        "иин",
    ),
    "industry": (
        "сфера деятельности",
        "отрасль",
        "вид деятельности",
        "тип деятельности",
        "industry",
        "sector",
        "сфера діяльності",
        "галузь",
        "вид діяльності",
    ),
    "headcount": (
        "количество сотрудников",
        "кол-во сотрудников",
        "кол во сотрудников",
        "число сотрудников",
        "численность",
        "численность сотрудников",
        "сотрудников",
        "number of employees",
        "employees",
        "headcount",
        "company size",
        "кількість співробітників",
        "кількість працівників",
    ),
    "website": (
        "сайт",
        "веб-сайт",
        "веб сайт",
        "web",
        "website",
        "web site",
        "url",
        "домен",
        "company domain name",
        "domain",
        "website url",
        "сайт компании",
        "вебсайт",
    ),
}

# Columns every export has that no field takes: matched to nothing, on purpose, so a
# similar name ("Дата создания" ~ "Дата рождения") does not pull them into a field.
_IGNORED = (
    "дата создания",
    "дата изменения",
    "дата редактирования",
    "кем создан",
    "кем изменен",
    "создан",
    "изменен",
    "создано",
    "изменено",
    "дата последнего изменения",
    "create date",
    "created",
    "created at",
    "created by",
    "last modified date",
    "last modified",
    "updated",
    "updated at",
    "lifecycle stage",
    "lead status",
    "last activity date",
    "дата створення",
    "дата зміни",
    "ким створено",
    "кпп",
    "огрн",
    "огрнип",
    "окпо",
    "статус",
    "status",
    "этап",
    "stage",
    "воронка",
    "pipeline",
)
_IGNORE = "-"

# Key words inside longer headers (stage 3), per target; first match wins, in order.
_KEYWORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("phone_mobile", ("мобил", "мобіл", "mobile", "сотов", "cell")),
    ("phone_work", ("рабоч телефон", "робоч телефон", "work phone", "office phone")),
    ("phone_home", ("домашн телефон", "home phone")),
    ("email", ("email", "e-mail", "почт", "пошт", "mail")),
    ("phone", ("телефон", "phone", "тел")),
    ("telegram", ("telegram", "телеграм")),
    ("whatsapp", ("whatsapp", "ватсап")),
    ("viber", ("viber", "вайбер")),
    ("birthday", ("рожден", "народж", "birth")),
    ("company_tax_number", ("инн", "єдрпоу", "inn")),
    ("tax_number", ("инн", "єдрпоу", "inn", "tax")),
    ("legal_name", ("полное наимен", "юридическое наимен", "legal name")),
    ("tags", ("тег", "метк", "мітк", "tag")),
    ("note", ("коммент", "примеч", "коментар", "примітк", "note", "comment")),
    ("responsible", ("ответствен", "відповідальн", "owner", "менеджер")),
    ("source", ("источник", "джерело", "source")),
    ("position", ("должност", "посад", "job title")),
    ("website", ("сайт", "website", "domain")),
    ("industry", ("отрасл", "сфера", "галуз", "industry")),
    ("headcount", ("сотрудник", "співробітник", "працівник", "employees")),
    ("address", ("адрес", "address")),
    ("company_name", ("компан", "организац", "організац", "company", "organization")),
    ("surname", ("фамил", "прізвищ", "last name")),
    ("patronymic", ("отчеств", "по батьков", "middle name")),
)

_NAME_PARTS = {"surname", "first_name", "patronymic"}
_MULTI_KEYS = {"phone", "phone_mobile", "phone_work", "phone_home", "email", "tags", "note"}
# Words that say whose field it is or which one, not what it is ("Email 2", "Телефон
# контакта", "Должность (контакт)").
_NOISE_WORDS = {
    "контакт",
    "контакта",
    "контакту",
    "контактное",
    "компании",
    "компанії",
    "организации",
    "основной",
    "основний",
    "primary",
    "main",
    "contact",
    "person",
    "organization",
    "company",
    "клиента",
    "клієнта",
    "default",
    "value",
    "значение",
    "1",
    "2",
    "3",
    "4",
    "5",
}
_VENDOR_PREFIX = re.compile(
    r"^(person|organization|organisation|deal|contact|company|контакт|компания|сделка)"
    r"\s*[-–—:.]\s+",
    re.I,
)
_PUNCTUATION = re.compile(r"[^\w@+']+")


def normalise_header(text: str) -> str:
    """The comparable form of a header: case-folded, ё->е, no punctuation or prefixes."""
    value = " ".join(str(text).split()).casefold().replace("ё", "е").replace("’", "'")
    value = value.replace("ʼ", "'").replace("`", "'")
    value = value.replace("e-mail", "email").replace("e mail", "email").replace("эл.", "эл ")
    value = value.replace("кол-во", "количество")
    previous = None
    while previous != value:
        previous = value
        value = _VENDOR_PREFIX.sub("", value)
    value = _PUNCTUATION.sub(" ", value.replace("_", " "))
    return " ".join(value.split())


def _translit(text: str) -> str:
    return search_text(text)


def _without_noise(text: str) -> str:
    return " ".join(word for word in text.split() if word not in _NOISE_WORDS)


@dataclass(frozen=True)
class _Name:
    """One known name of a target, in both comparable forms."""

    target: str
    plain: str
    latin: str
    confidence: float
    reason: str


def standard_targets(entity: str) -> list[ImportTarget]:
    """The standard targets of `entity` (no database)."""
    table = _CONTACT_TARGETS if _entity(entity) == CONTACTS else _COMPANY_TARGETS
    return [
        ImportTarget(key=key, label=str(label), kind=kind, multiple=multiple)
        for key, label, kind, multiple in table
    ]


def import_targets(entity: str) -> list[ImportTarget]:
    """The standard targets of `entity` then its active custom fields (one query, cached)."""
    targets = standard_targets(entity)
    for field in active_custom_fields(_crm_entity(entity)):
        targets.append(
            ImportTarget(
                key=f"custom.{field.key}",
                label=field.label,
                kind=field.field_type,
                multiple=False,
            )
        )
    return targets


_REASON_LABEL = _("Same name as the field")
_REASON_KNOWN = _("A usual column name of CRM and 1C exports")
_REASON_KEYWORD = _("The column name contains a key word of the field")
_REASON_SIMILAR = _("A similar name")
_REASON_TAKEN = _("Another column is already matched to this field")
_REASON_NONE = _("No matching field found")
_REASON_NAME_PARTS = _("The surname and first name are in separate columns")
_REASON_IGNORED = _("A column of the previous system that no field here takes")


def _known_names(
    entity: str, targets: Sequence[ImportTarget], custom_fields: Sequence[CustomField]
) -> list[_Name]:
    names: list[_Name] = []
    keys = {target.key for target in targets}

    def add(target: str, text: str, confidence: float, reason: str) -> None:
        plain = normalise_header(text)
        if plain and target in keys:
            names.append(_Name(target, plain, _translit(plain), confidence, reason))

    for target in targets:
        if target.key.startswith("custom."):
            field_key = target.key.removeprefix("custom.")
            add(target.key, field_key.replace("_", " "), 0.97, str(_REASON_LABEL))
        add(target.key, target.label, 1.0, str(_REASON_LABEL))
    for field in custom_fields:
        for label in (field.labels or {}).values():
            if label:
                add(f"custom.{field.key}", label, 1.0, str(_REASON_LABEL))
    table = _CONTACT_TARGETS if _entity(entity) == CONTACTS else _COMPANY_TARGETS
    for language in ("ru", "uk", "en"):
        with override(language):
            for key, label, _kind, _multiple in table:
                add(key, str(label), 1.0, str(_REASON_LABEL))
    specific = _CONTACT_SYNONYMS if _entity(entity) == CONTACTS else _COMPANY_SYNONYMS
    for text in _IGNORED:
        plain = normalise_header(text)
        names.append(_Name(_IGNORE, plain, _translit(plain), 0.99, str(_REASON_IGNORED)))
    for synonyms in (specific, _COMMON_SYNONYMS):
        for key, texts in synonyms.items():
            for text in texts:
                add(key, text, 0.95, str(_REASON_KNOWN))
    return names


def _candidates(
    header: str, names: Sequence[_Name], keys: set[str]
) -> list[tuple[float, str, str]]:
    """(confidence, target, reason) for one header, best first."""
    plain = normalise_header(header)
    if not plain:
        return []
    latin = _translit(plain)
    found: dict[str, tuple[float, str]] = {}

    def offer(target: str, confidence: float, reason: str) -> None:
        if target in keys and confidence > found.get(target, (0.0, ""))[0]:
            found[target] = (confidence, reason)

    quiet = _without_noise(plain)
    quiet_latin = _translit(quiet) if quiet else ""
    for name in names:
        if plain == name.plain or (latin and latin == name.latin):
            offer(name.target, name.confidence, name.reason)
        elif quiet and (quiet == name.plain or quiet_latin == name.latin):
            offer(name.target, name.confidence - 0.07, name.reason)
    if not found:
        words = f" {plain} "
        for target, stems in _KEYWORDS:
            if target not in keys:
                continue
            if any(_has_stem(words, stem) for stem in stems):
                offer(target, 0.75, str(_REASON_KEYWORD))
                break
    if not found:
        for name in names:
            ratio = max(
                difflib.SequenceMatcher(None, plain, name.plain).ratio(),
                difflib.SequenceMatcher(None, latin, name.latin).ratio() if latin else 0.0,
            )
            if ratio >= 0.8:
                offer(name.target, round(0.65 * ratio, 2), str(_REASON_SIMILAR))
    return sorted(
        ((confidence, target, reason) for target, (confidence, reason) in found.items()),
        key=lambda item: -item[0],
    )


def _has_stem(words: str, stem: str) -> bool:
    """`stem` starts a word of `words` (multi-word stems: each word starts a word, in order)."""
    pattern = r"\s" + r"\w*\s+".join(re.escape(part) for part in stem.split())
    return re.search(pattern, words) is not None


def suggest_mapping(
    headers: Sequence[str], entity: str, *, targets: Iterable[ImportTarget] | None = None
) -> list[MappingSuggestion]:
    """A suggested target for each column of `headers` (see the module docstring).

    `targets` defaults to `import_targets(entity)` (the workspace's custom fields
    included, matched by their labels in every language); given, only those are offered.
    """
    if targets is None:
        target_list = import_targets(entity)
        # Their labels in every language, not only the active one.
        custom_fields: Sequence[CustomField] = active_custom_fields(_crm_entity(entity))
    else:
        target_list = list(targets)
        custom_fields = ()
    keys = {target.key for target in target_list} | {_IGNORE}
    multiple = {target.key for target in target_list if target.multiple} | (_MULTI_KEYS & keys)
    multiple.add(_IGNORE)
    names = _known_names(entity, target_list, custom_fields)
    per_column = [_candidates(header, names, keys) for header in headers]
    offers = sorted(
        (
            (-confidence, column, rank, target, reason)
            for column, candidates in enumerate(per_column)
            for rank, (confidence, target, reason) in enumerate(candidates)
        ),
    )
    chosen: dict[int, tuple[str, float, str]] = {}
    taken: set[str] = set()
    for negative, column, _rank, target, reason in offers:
        if column in chosen or (target in taken and target not in multiple):
            continue
        chosen[column] = (target, -negative, reason)
        taken.add(target)
    # A full name column beside separate name columns would write the name twice: the
    # separate columns are more precise.
    if any(target in _NAME_PARTS for target, _confidence, _reason in chosen.values()):
        for column, (target, _confidence, _reason) in list(chosen.items()):
            if target == "full_name":
                chosen[column] = (_IGNORE, 0.0, str(_REASON_NAME_PARTS))
    suggestions = []
    for column, header in enumerate(headers):
        if column in chosen and chosen[column][0] == _IGNORE:
            suggestions.append(MappingSuggestion(column, header, None, 0.0, chosen[column][2]))
        elif column in chosen:
            target, confidence, reason = chosen[column]
            suggestions.append(
                MappingSuggestion(column, header, target, round(confidence, 2), reason)
            )
        else:
            reason = str(_REASON_TAKEN if per_column[column] else _REASON_NONE)
            suggestions.append(MappingSuggestion(column, header, None, 0.0, str(reason)))
    return suggestions
