# ruff: noqa: RUF001 (Cyrillic endings are the point of this module)
"""Splitting a one-column full name into surname, first name and patronymic.

Exports disagree on the order: 1C and Russian spreadsheets write "Фамилия Имя Отчество",
Pipedrive, HubSpot and most Ukrainian and English files "First Last". The order is read
from the words themselves: a patronymic ending (-ович, -овна, -ична, ...) fixes where the
first name is; otherwise a surname ending (-ов, -ева, -ский, -енко, ...) on exactly one
word marks the surname. When nothing tells, Cyrillic names are taken surname first (the
Russian paper convention) and Latin ones first name first.
"""

import re

_PATRONYMIC = re.compile(r"(ович|евич|ёвич|ьич|ыч|овна|евна|ёвна|ична|инична|івна|ївна|йович)$")
# Endings almost only surnames have, then ones some first names share (Ирина, Марина).
_STRONG_SURNAME = re.compile(
    r"(ов|ова|ев|ева|ёв|ёва|ский|ская|цкий|цкая|ской|енко|чук|щук|юк|швили|дзе|ян|ых|их)$"
)
_WEAK_SURNAME = re.compile(r"(ин|ина|ын|ына|ук|ко|ич)$")
_CYRILLIC = re.compile(r"[а-яёіїєґ]", re.I)


def _surname_word(words: list[str]) -> int | None:
    """The index of the one word that looks like a surname, if exactly one does."""
    for pattern in (_STRONG_SURNAME, _WEAK_SURNAME):
        found = [index for index, word in enumerate(words) if pattern.search(word.casefold())]
        if len(found) == 1:
            return found[0]
        if found:
            return None
    return None


def split_full_name(full_name: str) -> dict[str, str]:
    """{"surname", "first_name", "patronymic"} (only the parts found) of `full_name`."""
    words = full_name.split()
    if not words:
        return {}
    if len(words) == 1:
        return {"first_name": words[0]}
    folded = [word.casefold() for word in words]
    cyrillic = bool(_CYRILLIC.search(full_name))
    if len(words) >= 3 and _PATRONYMIC.search(folded[-1]):
        # Иванов Иван Иванович
        return {"surname": words[0], "first_name": words[1], "patronymic": " ".join(words[2:])}
    if len(words) == 3 and _PATRONYMIC.search(folded[1]):
        # Иван Иванович Иванов
        return {"first_name": words[0], "patronymic": words[1], "surname": words[2]}
    if len(words) == 2:
        surname_at = _surname_word(words)
        if surname_at is None:
            surname_at = 0 if cyrillic else 1
        return {"surname": words[surname_at], "first_name": words[1 - surname_at]}
    if cyrillic:
        return {"surname": words[0], "first_name": words[1], "patronymic": " ".join(words[2:])}
    return {"first_name": " ".join(words[:-1]), "surname": words[-1]}
