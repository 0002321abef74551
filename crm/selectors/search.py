"""The one search box: contacts and companies by name, phone, e-mail, tax number, custom fields.

Every branch is an indexed lookup in the workspace schema:

- names: `name_search` (transliterated, lower-case words; crm.normalize.search_text) with
  a pg_trgm GIN index. First every query word as a substring ("иванова мар" finds
  "Иванова Мария Петровна", "ivanova" finds it too); when that finds too little, each
  word by trigram word similarity, which forgives typos ("Ivanov Marya");
- phones: `digits_reversed` with a btree text_pattern_ops index, so "ends with 4567" is
  "starts with 7654"; a full number in any format is read with the workspace's country
  first ("8 916 123-45-67" is +79161234567);
- e-mails: the case-folded address, trigram-indexed, for any part of it;
- tax numbers: exact, btree;
- custom fields marked searchable: a trigram index over the JSONB's text narrows the
  rows, then the searchable keys are checked.

The access rule is applied inside each query (members who see only their own clients
never get, nor lose places to, other people's records). Archived records are left out
unless asked for.
"""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.contrib.postgres.search import TrigramSimilarity, TrigramWordSimilarity
from django.db import connection, transaction
from django.db.models import F, Q, QuerySet, TextField
from django.db.models.functions import Cast

from crm import normalize
from crm.models import Company, Contact, Email, Phone, RecordType
from crm.selectors.access import sees_all_clients
from crm.selectors.custom_fields import searchable_custom_fields

# What matched, best first when one record matches several ways.
MATCH_PRIORITY = ("tax_number", "phone", "name", "email", "custom")
# A dot, @ or underscore inside a word, or letters run into digits: the shape of an e-mail
# address or its local part, not of a name.
EMAIL_SHAPED = re.compile(r"\w[.@_]\w|[^\W\d_]\d|\d[^\W\d_]")
FUZZY_WORD_THRESHOLD = 0.45


@dataclass
class SearchHit:
    """One record found: what it is, what matched and how well (1.0 = exactly)."""

    record_type: str
    record: Contact | Company
    matched_on: str  # "name", "phone", "email", "tax_number" or "custom.<key>"
    matched_value: str
    score: float

    @property
    def record_id(self) -> int:
        return int(self.record.pk)


def _visible(
    records: QuerySet[Any], user: Any, sees_all: bool, include_archived: bool
) -> QuerySet[Any]:
    if not sees_all:
        records = records.filter(responsible_id=user.pk)
    if not include_archived:
        records = records.filter(archived_at__isnull=True)
    return records


def _owner_filter(prefix: str, user: Any, sees_all: bool, include_archived: bool) -> Q:
    query = Q(**{f"{prefix}__isnull": False})
    if not sees_all:
        query &= Q(**{f"{prefix}__responsible_id": user.pk})
    if not include_archived:
        query &= Q(**{f"{prefix}__archived_at__isnull": True})
    return query


# How many substring matches are ranked by similarity: a common surname matches thousands
# of rows, and reading them all to rank them would cost more than the whole budget.
NAME_CANDIDATES = 300


def _name_matches(
    model: type[Contact] | type[Company],
    words: list[str],
    user: Any,
    sees_all: bool,
    include_archived: bool,
    limit: int,
) -> list[tuple[int, float]]:
    """Records whose name holds every word as a substring; scores 0.5..1."""
    records = _visible(model.objects.all(), user, sees_all, include_archived)
    for word in words:
        records = records.filter(name_search__contains=word)
    candidates = records.order_by().values("pk")[:NAME_CANDIDATES]
    rows = (
        model.objects.filter(pk__in=candidates)
        .annotate(score=TrigramSimilarity("name_search", " ".join(words)))
        .order_by("-score", "id")
        .values_list("id", "score")[:limit]
    )
    return [(pk, 0.5 + float(score) / 2) for pk, score in rows]


def _fuzzy_name_matches(
    model: type[Contact] | type[Company],
    words: list[str],
    user: Any,
    sees_all: bool,
    include_archived: bool,
    limit: int,
    exclude: set[int],
) -> list[tuple[int, float]]:
    """Records whose name has, for every word of 3+ letters, a similar word; scores 0..0.5.

    Run inside search_settings() (the threshold, and the index over a sequential scan).
    """
    long_words = [word for word in words if len(word) >= 3]
    if not long_words:
        return []
    records = _visible(model.objects.all(), user, sees_all, include_archived)
    score: Any = None
    for word in long_words:
        records = records.filter(name_search__trigram_word_similar=word)
        similarity = TrigramWordSimilarity(word, "name_search")
        score = similarity if score is None else score + similarity
    if exclude:
        records = records.exclude(pk__in=list(exclude))
    rows = (
        records.annotate(score=score / len(long_words))
        .order_by("-score", "id")
        .values_list("id", "score")[:limit]
    )
    return [(pk, float(value) / 2) for pk, value in rows]


@contextmanager
def search_settings() -> Iterator[None]:
    """Settings for the search's queries: word similarity forgives a little more than
    pg_trgm's default 0.6, and the planner uses the trigram indexes even on a small table
    (it misjudges LIKE '%...%' and word similarity as selective enough for a sequential
    scan, which then computes them for every row). No merge joins: with a LIMIT and no
    order, the planner liked walking an e-mail's owner index in id order to merge with
    the owners, filtering LIKE on every row until 100 matched ("info": 75,000 rows,
    17 ms; a nested loop over the trigram candidates: under 1 ms). SET LOCAL in a
    transaction of their own, so the settings end with it."""
    outer_transaction = connection.in_atomic_block
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('pg_trgm.word_similarity_threshold', %s, true), "
                "set_config('enable_seqscan', 'off', true), "
                "set_config('enable_mergejoin', 'off', true)",
                [str(FUZZY_WORD_THRESHOLD)],
            )
        yield
        if outer_transaction:
            # Inside a caller's transaction SET LOCAL would outlive this block.
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT set_config('pg_trgm.word_similarity_threshold', '0.6', true), "
                    "set_config('enable_seqscan', 'on', true), "
                    "set_config('enable_mergejoin', 'on', true)"
                )


def _looks_like_phone(query: str) -> bool:
    return bool(query) and all(char.isdigit() or char in " +-()./" for char in query)


def _searchable_custom_keys(record_type: str) -> list[str]:
    return [field.key for field in searchable_custom_fields(record_type)]


def search_clients(
    user: Any,
    query: str,
    *,
    limit: int = 20,
    record_types: tuple[str, ...] = (RecordType.CONTACT, RecordType.COMPANY),
    include_archived: bool = False,
) -> list[SearchHit]:
    """Contacts and companies `user` may see matching `query`, best first, with what matched."""
    query = normalize.clean_spaces(query)
    if len(query) < 2 or user is None or not getattr(user, "is_active", False):
        return []
    limit = max(1, min(limit, 100))
    sees_all = sees_all_clients(user)
    with search_settings():
        hits = _find(user, query, limit, record_types, include_archived, sees_all)
    return _load_hits(hits, limit)


def _find(
    user: Any,
    query: str,
    limit: int,
    record_types: tuple[str, ...],
    include_archived: bool,
    sees_all: bool,
) -> dict[tuple[str, int], tuple[int, str, str, float]]:
    # (record_type, id) -> (priority index, matched_on, value, score)
    hits: dict[tuple[str, int], tuple[int, str, str, float]] = {}

    def offer(record_type: str, pk: int, matched_on: str, value: str, score: float) -> None:
        if record_type not in record_types:
            return
        priority = MATCH_PRIORITY.index(matched_on.split(".")[0])
        key = (record_type, pk)
        known = hits.get(key)
        if known is None or (priority, -score) < (known[0], -known[3]):
            hits[key] = (priority, matched_on, value, score)

    digits = normalize.digits_of(query)
    phone_like = _looks_like_phone(query)
    if phone_like and len(digits) in (8, 10, 12) and RecordType.COMPANY in record_types:
        companies = _visible(Company.objects.all(), user, sees_all, include_archived)
        for pk, tax_number in companies.filter(tax_number=digits).values_list("id", "tax_number")[
            :limit
        ]:
            offer(RecordType.COMPANY, pk, "tax_number", tax_number, 1.0)
    if phone_like and len(digits) >= 4:
        country = str(getattr(getattr(connection, "tenant", None), "default_country", "") or "RU")
        suffixes = normalize.phone_query_digits(query, default_country=country)
        phone_query = Q()
        for suffix in suffixes:
            phone_query |= Q(digits_reversed__startswith=suffix[::-1])
        owners = Q()
        if RecordType.CONTACT in record_types:
            owners |= _owner_filter("contact", user, sees_all, include_archived)
        if RecordType.COMPANY in record_types:
            owners |= _owner_filter("company", user, sees_all, include_archived)
        rows = (
            Phone.objects.filter(phone_query)
            .filter(owners)
            .values_list("contact_id", "company_id", "e164")
            .order_by("e164", "id")[: limit * 2]
        )
        for contact_id, company_id, e164 in rows:
            # A longer typed tail is a closer match than just the last four digits.
            score = 1.0 if len(digits) >= 10 else 0.9
            if contact_id:
                offer(RecordType.CONTACT, contact_id, "phone", e164, score)
            else:
                offer(RecordType.COMPANY, company_id, "phone", e164, score)
    models: list[tuple[str, type[Contact] | type[Company]]] = []
    if RecordType.CONTACT in record_types:
        models.append((RecordType.CONTACT, Contact))
    if RecordType.COMPANY in record_types:
        models.append((RecordType.COMPANY, Company))
    fuzzy_words: list[str] = []
    if not phone_like:
        folded = normalize.casefold_email(query)
        if " " not in folded and len(folded) >= 3:
            owners = Q()
            if RecordType.CONTACT in record_types:
                owners |= _owner_filter("contact", user, sees_all, include_archived)
            if RecordType.COMPANY in record_types:
                owners |= _owner_filter("company", user, sees_all, include_archived)
            # A whole address is one btree lookup; a part of one, trigram candidates in
            # no particular order (sorting thousands of "ivanov" matches costs more).
            matching = (
                Q(address_casefold=folded)
                if "@" in folded and "." in folded.split("@")[-1]
                else Q(address_casefold__contains=folded)
            )
            email_rows = (
                Email.objects.filter(matching)
                .filter(owners)
                .values_list("contact_id", "company_id", "address")
                .order_by()[: limit * 2]
            )
            for contact_id, company_id, address in email_rows:
                score = 1.0 if normalize.casefold_email(address) == folded else 0.95
                if contact_id:
                    offer(RecordType.CONTACT, contact_id, "email", address, score)
                else:
                    offer(RecordType.COMPANY, company_id, "email", address, score)
        words = normalize.search_words(query)
        # An address or a part of one ("v.mikhailova", "ivanov77") that found addresses
        # is what the user meant: name and typo matching on it is slow and only adds noise.
        email_shaped = " " not in query.strip() and bool(EMAIL_SHAPED.search(query))
        found_addresses = any(matched == "email" for _p, matched, _v, _s in hits.values())
        if words and "@" not in query and not (email_shaped and found_addresses):
            found = 0
            for record_type, model in models:
                for pk, score in _name_matches(
                    model, words, user, sees_all, include_archived, limit
                ):
                    offer(record_type, pk, "name", "", score)
                    found += 1
            fuzzy_words = words if found < limit else []
    search_custom = len(query) >= 3 and not (phone_like and len(digits) >= 4)
    for record_type, model in models if fuzzy_words else []:
        known = {pk for (kind, pk) in hits if kind == record_type}
        for pk, score in _fuzzy_name_matches(
            model, fuzzy_words, user, sees_all, include_archived, limit, known
        ):
            offer(record_type, pk, "name", "", score)
    if search_custom:
        _search_custom(query, user, sees_all, include_archived, record_types, limit, offer)
    return hits


def _search_custom(
    query: str,
    user: Any,
    sees_all: bool,
    include_archived: bool,
    record_types: tuple[str, ...],
    limit: int,
    offer: Any,
) -> None:
    models: list[tuple[str, type[Contact] | type[Company]]] = [
        (RecordType.CONTACT, Contact),
        (RecordType.COMPANY, Company),
    ]
    for record_type, model in models:
        if record_type not in record_types:
            continue
        keys = _searchable_custom_keys(record_type)
        if not keys:
            continue
        # ~* (what iregex writes) is served by the trigram index on custom::text; Django's
        # icontains writes UPPER(...) LIKE UPPER(...), which no index serves.
        pattern = re.escape(query)
        rows = (
            _visible(model.objects.all(), user, sees_all, include_archived)
            .annotate(custom_text=Cast(F("custom"), TextField()))
            .filter(custom_text__iregex=pattern)
            .values_list("id", "custom")[: limit * 3]
        )
        folded = query.casefold()
        for pk, custom in rows:
            for key in keys:
                value = (custom or {}).get(key)
                if value is not None and folded in str(value).casefold():
                    offer(record_type, pk, f"custom.{key}", str(value), 0.8)
                    break


def _load_hits(
    hits: dict[tuple[str, int], tuple[int, str, str, float]], limit: int
) -> list[SearchHit]:
    ordered = sorted(hits.items(), key=lambda item: (-item[1][3], item[1][0], item[0][1]))[:limit]
    contact_ids = [pk for (record_type, pk), _hit in ordered if record_type == RecordType.CONTACT]
    company_ids = [pk for (record_type, pk), _hit in ordered if record_type == RecordType.COMPANY]
    contacts = (
        Contact.objects.select_related("responsible").in_bulk(contact_ids) if contact_ids else {}
    )
    companies = (
        Company.objects.select_related("responsible").in_bulk(company_ids) if company_ids else {}
    )
    results = []
    for (record_type, pk), (_priority, matched_on, value, score) in ordered:
        record: Contact | Company | None = (
            contacts.get(pk) if record_type == RecordType.CONTACT else companies.get(pk)
        )
        if record is None:
            continue
        if matched_on == "name":
            value = record.display_name
        results.append(
            SearchHit(
                record_type=record_type,
                record=record,
                matched_on=matched_on,
                matched_value=value,
                score=score,
            )
        )
    return results
