"""PII recognizers and stream masking (blueprints/guardrails/pii.py). Checksum examples are the issuers' published
test values: Visa's 4111 1111 1111 1111, the IBAN registry's (SWIFT, ISO 13616) DE89 3704 0044 0532 0130 00 and
GB82 WEST 1234 5698 7654 32, the BZSt's Steuer-ID 86095742719."""

from __future__ import annotations

import pytest

from blueprints.guardrails.pii import ENTITIES, StreamMasker, iban_valid, luhn_valid, mask_text, steuer_id_valid

ANSWER = ("Mail jane.doe@example.com or call +49 30 1234567, card 4111 1111 1111 1111, order 1234567812345678, "
          "IBAN GB82 WEST 1234 5698 7654 32, SSN 123-45-6789, NINO AB 12 34 56 C, Steuer-ID 86095742719, "
          "US (415) 555-0100.")
MASKED = ("Mail [EMAIL] or call [PHONE], card [CARD], order 1234567812345678, IBAN [IBAN], SSN [US_SSN], "
          "NINO [UK_NINO], Steuer-ID [DE_STEUER_ID], US [PHONE].")


def test_checksums_accept_the_published_examples_and_refuse_one_digit_off() -> None:
    assert luhn_valid("4111111111111111") and not luhn_valid("4111111111111112")
    assert iban_valid("DE89370400440532013000") and iban_valid("GB82WEST12345698765432")
    assert not iban_valid("DE89370400440532013001")
    assert steuer_id_valid("86095742719") and not steuer_id_valid("86095742718")
    assert not steuer_id_valid("12345678903")  # ten distinct leading digits: not a Steuer-ID whatever its check


def test_every_entity_is_masked_and_numbers_failing_their_checksum_stay() -> None:
    masked = mask_text(ANSWER)
    assert masked.text == MASKED
    assert set(masked.counts) == set(ENTITIES) and masked.counts["PHONE"] == 2
    assert not luhn_valid("1234567812345678")  # the order number: 16 digits, not a card
    kept = "Order 1234567812345678, IBAN DE89 3704 0044 0532 0130 01, SSN 000-12-3456, tax 86095742718."
    assert mask_text(kept).text == kept


def test_only_the_preset_entities_are_masked() -> None:
    assert mask_text(ANSWER, ("EMAIL",)).text.startswith("Mail [EMAIL] or call +49 30 1234567, card 4111")


@pytest.mark.parametrize("size", [1, 2, 3, 7, 40])
def test_a_stream_cut_into_any_chunks_is_masked_as_the_whole_answer(size: int) -> None:
    masker = StreamMasker()
    out = [masker.feed(ANSWER[start:start + size]) for start in range(0, len(ANSWER), size)]
    assert "".join(out) + masker.finish() == MASKED
    assert masker.counts == mask_text(ANSWER).counts


def test_prose_streams_word_by_word() -> None:
    masker = StreamMasker()
    assert [masker.feed(word) for word in ("The ", "claim ", "is ", "open")] == ["The ", "claim ", "is ", ""]
    assert masker.finish() == "open"


def test_a_value_is_held_until_it_can_no_longer_grow_and_a_cut_stream_never_releases_it() -> None:
    masker = StreamMasker()
    released = masker.feed("Refund to DE89 3704 0044 ") + masker.feed("0532 0130 00")
    assert released == "Refund "  # from the word before the first digit's: a NINO's letters come first
    # The stream breaks here: nothing of the IBAN was released.
    finished = StreamMasker()
    text = finished.feed("Refund to DE89 3704 0044 ") + finished.feed("0532 0130 00 today") + finished.finish()
    assert text == "Refund to [IBAN] today"
