"""PII redaction: each kind becomes its placeholder; look-alikes survive."""

import pytest

from monitoring.ingest.redaction import iban_valid, luhn_valid, redact


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mail jane.doe+x@example.co.uk now", "mail [EMAIL] now"),
        ("call +1 415-555-0132 today", "call [PHONE] today"),
        ("call (030) 1234 5678", "call [PHONE]"),
        ("card 4111 1111 1111 1111 ok", "card [CARD] ok"),
        ("card 5500-0000-0000-0004", "card [CARD]"),
        ("iban DE89 3704 0044 0532 0130 00 end", "iban [IBAN] end"),
        ("iban GB82WEST12345698765432", "iban [IBAN]"),
        ("from 192.168.10.254 to", "from [IP] to"),
        ("v6 2001:db8::8a2e:370:7334 here", "v6 [IP] here"),
        ("loopback ::1", "loopback [IP]"),
        ("key sk-proj-abcdefghijklmnop1234567890", "key [SECRET]"),
        ("key sk-ant-api03-abcdefghijklmnopqrstuv", "key [SECRET]"),
        ("aws AKIAIOSFODNN7EXAMPLE", "aws [SECRET]"),
        ("gh ghp_abcdefghijklmnopqrstuvwxyz0123456789", "gh [SECRET]"),
        ("api_key=Zm9vYmFyYmF6cXV4MTIzNDU2", "api_key=[SECRET]"),
        (
            "Authorization: Bearer abcdefghijklmnop12345",
            "Authorization: Bearer [SECRET]",
        ),
    ],
)
def test_each_kind_is_replaced_by_its_placeholder(text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "order 4111 1111 1111 1112 shipped",  # fails Luhn
        "version 1.2.3.4.5",
        "released 2024-08-06",
        "it costs 1 000 000 dollars",
        "not an ip 999.1.1.1",
        "time 12:30:45",
        "IBAN-like DE00 3704 0044 0532 0130 00",  # wrong check digits
        "plain words and numbers like 42",
    ],
)
def test_look_alikes_are_kept(text):
    assert redact(text) == text


def test_several_kinds_in_one_text():
    text = "I am bob@corp.io, card 4242424242424242, server 10.0.0.1, key sk-abcdefghijklmnopqrstu"
    assert redact(text) == "I am [EMAIL], card [CARD], server [IP], key [SECRET]"


def test_checksums():
    assert luhn_valid("79927398713") and not luhn_valid("79927398710")
    assert iban_valid("FR1420041010050500013M02606") and not iban_valid(
        "FR1420041010050500013M02607"
    )
