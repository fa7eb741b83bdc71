"""PII recognizers with checksum validation and masking for whole answers and for streams.

Runs inside the LiteLLM image (standard library only). Names need a NER model, which is not installable offline from
PyPI from its publisher (spaCy's `en_core_web_sm` ships from GitHub releases; the PyPI names are third-party
re-uploads), so this covers values a pattern plus a checksum identifies: e-mail addresses, phone numbers, payment
card numbers (Luhn), IBANs (ISO 13616 mod-97), US SSNs, UK National Insurance numbers and German tax IDs
(Steuer-ID, ISO 7064 MOD 11,10). A 16-digit number that fails Luhn is an id, not a card, and stays.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field


def luhn_valid(digits: str) -> bool:
    """The Luhn check digit of a payment card number (ISO/IEC 7812-1 annex B)."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def iban_valid(iban: str) -> bool:
    """ISO 13616: the country code and check digits moved to the end, letters as 10..35, the number mod 97 is 1."""
    rearranged = iban[4:] + iban[:4]
    return 15 <= len(iban) <= 34 and int("".join(str(int(char, 36)) for char in rearranged)) % 97 == 1


def steuer_id_valid(digits: str) -> bool:
    """German tax ID (Steueridentifikationsnummer): 11 digits, no leading 0, in the first ten one digit occurs two
    or three times and no other repeats, the last is the ISO 7064 MOD 11,10 check digit (BZSt specification)."""
    counts = sorted(Counter(digits[:10]).values(), reverse=True)
    if digits[0] == "0" or counts[0] not in (2, 3) or (len(counts) > 1 and counts[1] > 1):
        return False
    product = 10
    for char in digits[:10]:
        total = (int(char) + product) % 10 or 10
        product = (total * 2) % 11
    return (11 - product) % 10 == int(digits[10])


def _digits(value: str) -> str:
    return re.sub(r"\D", "", value)


@dataclass(frozen=True)
class Recognizer:
    entity: str
    pattern: re.Pattern[str]
    valid: Callable[[str], bool] = lambda value: True


RECOGNIZERS: dict[str, Recognizer] = {recognizer.entity: recognizer for recognizer in (
    Recognizer("EMAIL", re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")),
    Recognizer("IBAN", re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b"),
               lambda value: iban_valid(value.replace(" ", ""))),
    Recognizer("CARD", re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])"),
               lambda value: luhn_valid(_digits(value))),
    Recognizer("US_SSN", re.compile(r"(?<![\d-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\d-])")),
    Recognizer("UK_NINO", re.compile(
        r"\b(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b")),
    Recognizer("DE_STEUER_ID", re.compile(r"(?<![\d-])[1-9]\d(?: ?\d{3}){3}(?![\d-])"),
               lambda value: steuer_id_valid(_digits(value))),
    Recognizer("PHONE", re.compile(
        r"(?<![\w+])(?<!\d )(?:\+\d{1,3}[ .\-]?(?:\(0?\d{1,4}\)[ .\-]?)?\d{1,4}(?:[ .\-]?\d{2,4}){1,4}"
        r"|\(\d{3}\) ?\d{3}[ .\-]\d{4}|\d{3}[.\-]\d{3}[.\-]\d{4}|0\d{2,4}[ /\-]\d{3,8})(?![\w-])(?! \d)"),
        lambda value: 7 <= len(_digits(value)) <= 15),
)}
"""In priority order: where two overlap, the earlier one's match is kept. A phone number is not part of a longer
group of digits (a mistyped IBAN or card number)."""

ENTITIES: tuple[str, ...] = tuple(RECOGNIZERS)
MAX_NUMERIC_SPAN = 48
"""The longest value with separators the numeric recognizers match (an IBAN: 34 characters and 8 spaces), plus
margin: how far back a stream holds text once a digit appeared."""


@dataclass(frozen=True)
class Finding:
    entity: str
    start: int
    end: int


def find(text: str, entities: Iterable[str] = ENTITIES) -> list[Finding]:
    """Non-overlapping validated findings in `text`, ordered by position."""
    chosen: list[Finding] = []
    for entity in entities:
        recognizer = RECOGNIZERS[entity]
        for match in recognizer.pattern.finditer(text):
            overlaps = any(match.start() < other.end and other.start < match.end() for other in chosen)
            if not overlaps and recognizer.valid(match.group()):
                chosen.append(Finding(entity, match.start(), match.end()))
    return sorted(chosen, key=lambda finding: finding.start)


def mask(text: str, findings: Iterable[Finding]) -> str:
    """`text` with each finding replaced by `[ENTITY]`."""
    pieces, position = [], 0
    for finding in findings:
        pieces += [text[position:finding.start], f"[{finding.entity}]"]
        position = finding.end
    return "".join([*pieces, text[position:]])


@dataclass
class Masked:
    text: str
    counts: Counter[str]
    """Findings per entity: what a guardrail decision records (never the values)."""


def mask_text(text: str, entities: Iterable[str] = ENTITIES) -> Masked:
    findings = find(text, entities)
    return Masked(mask(text, findings), Counter(finding.entity for finding in findings))


_SPACE = re.compile(r"\s")


@dataclass
class StreamMasker:
    """Masks an answer as it streams: `feed` each chunk, send what it returns, then send `finish()`.

    What a later chunk could still turn into a finding is held back: the unfinished last word (any e-mail address,
    however long, is one word), and once a digit or `+` appeared in the last MAX_NUMERIC_SPAN characters, text from
    the word before the one holding it (a NINO's letters, an IBAN's country code). Plain prose streams word by word.
    A stream that ends without `finish()` (cut) never releases what was held."""

    entities: tuple[str, ...] = ENTITIES
    counts: Counter[str] = field(default_factory=Counter)
    _text: str = ""
    _released: int = 0

    def feed(self, chunk: str) -> str:
        self._text += chunk
        return self._release(self._hold_from())

    def finish(self) -> str:
        return self._release(len(self._text))

    def _hold_from(self) -> int:
        text = self._text
        hold = _word_start(text, len(text))
        window = max(self._released, len(text) - MAX_NUMERIC_SPAN)
        numeric = re.search(r"[\d+]", text[window:])
        if numeric:
            word = _word_start(text, window + numeric.start())
            hold = min(hold, _word_start(text, max(self._released, word - 1)))
        return max(hold, self._released)

    def _release(self, until: int) -> str:
        pending = self._text[self._released:]
        findings = find(pending, self.entities)
        # Never release part of a value: a finding reaching past `until` is held whole.
        for finding in findings:
            if finding.start < until - self._released < finding.end:
                until = self._released + finding.start
        released = [finding for finding in findings if finding.end <= until - self._released]
        self.counts.update(finding.entity for finding in released)
        out = mask(pending[:until - self._released], released)
        self._released = until
        return out


def _word_start(text: str, position: int) -> int:
    """Where the word that holds `position` (or ends just before it) starts."""
    while position > 0 and not _SPACE.match(text[position - 1]):
        position -= 1
    return position
