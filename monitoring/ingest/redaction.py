"""PII redaction of prompts and completions before they are written.

Each kind of personal data is replaced by a typed placeholder (`[EMAIL]`, `[PHONE]`, `[CARD]`,
`[IBAN]`, `[IP]`, `[SECRET]`). Candidates that carry a checksum are verified before being
replaced (Luhn for cards, ISO 7064 mod 97 for IBANs, `ipaddress` for IPs) so that order
numbers and version strings survive. Secrets go first because they often contain digits and
`@` signs that would otherwise be half-matched by the other rules.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable

# API-key-like secrets: well-known prefixes, then "key=…"/"Bearer …" forms.
_SECRET_RE = re.compile(
    r"""
    \b(?:
        sk-(?:ant-|proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{16,}   # OpenAI, Anthropic
      | lls_[A-Za-z0-9_\-]{16,}                                  # LLMscope keys
      | (?:AKIA|ASIA)[0-9A-Z]{16}                                # AWS access key ids
      | AIza[0-9A-Za-z_\-]{35}                                   # Google API keys
      | gh[pousr]_[A-Za-z0-9]{30,}                               # GitHub tokens
      | github_pat_[A-Za-z0-9_]{30,}
      | xox[abposr]-[A-Za-z0-9\-]{10,}                           # Slack tokens
      | (?:sk|pk|rk)_(?:live|test)_[A-Za-z0-9]{16,}              # Stripe keys
      | hf_[A-Za-z0-9]{30,}                                      # Hugging Face
      | gsk_[A-Za-z0-9]{30,}                                     # Groq
      | eyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,}  # JWTs
    )
    """,
    re.VERBOSE,
)
# "api_key=…", "token: …", "Authorization: Bearer …": keep the label, redact the value.
_LABELLED_SECRET_RE = re.compile(
    r"""(?ix)
    (\b(?:api[_-]?key|secret|token|password|passwd|access[_-]?key|bearer)\b["']?\s*[:=]?\s*["']?)
    ([A-Za-z0-9_\-./+=]{16,})
    """
)
_EMAIL_RE = re.compile(r"\b[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}\b")
_IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,3})?\b")
_CARD_RE = re.compile(r"(?<![\d.])\d(?:[ \-]?\d){12,18}(?![\d.])")
_IPV4_RE = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")
# Broad candidate for IPv6 (including "::" forms); `ipaddress` decides.
_IPV6_RE = re.compile(
    r"(?<![0-9A-Za-z:.])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f.]{0,15}(?![0-9A-Za-z:])"
)
# International (+…) or national numbers with separators: at least 7 and at most 15 digits.
_PHONE_RE = re.compile(
    r"(?<![\w+])(?:\+\d{1,3}[ .\-]?)?(?:\(\d{1,4}\)[ .\-]?)?\d{2,4}(?:[ .\-]?\d{2,4}){1,4}(?![\w])"
)


def luhn_valid(digits: str) -> bool:
    """True if the digit string passes the Luhn checksum (payment card numbers)."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        digit = ord(char) - 48
        if position % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def iban_valid(candidate: str) -> bool:
    """True if the string is an IBAN with a correct ISO 7064 mod-97 check."""
    compact = candidate.replace(" ", "")
    if not 15 <= len(compact) <= 34:
        return False
    rearranged = compact[4:] + compact[:4]
    numeric = "".join(str(int(char, 36)) for char in rearranged)
    return int(numeric) % 97 == 1


def _replace_card(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    return "[CARD]" if 13 <= len(digits) <= 19 and luhn_valid(digits) else match.group(0)


def _replace_iban(match: re.Match[str]) -> str:
    return "[IBAN]" if iban_valid(match.group(0)) else match.group(0)


def _replace_ip(match: re.Match[str]) -> str:
    try:
        ipaddress.ip_address(match.group(0))
    except ValueError:
        return match.group(0)
    return "[IP]"


_DATE_RE = re.compile(r"\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{4}")
_THOUSANDS_RE = re.compile(r"\d{1,3}(?:[ .]\d{3})+")


def _replace_phone(match: re.Match[str]) -> str:
    text = match.group(0)
    digits = sum(char.isdigit() for char in text)
    international = text.startswith(("+", "("))
    # A bare run of digits is more likely an id; dates and amounts are not phone numbers.
    has_structure = international or any(sep in text for sep in " .-")
    looks_like_other = not international and (
        _DATE_RE.fullmatch(text) or _THOUSANDS_RE.fullmatch(text)
    )
    if 7 <= digits <= 15 and has_structure and not looks_like_other:
        return "[PHONE]"
    return text


_RULES: list[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]] = [
    (_SECRET_RE, "[SECRET]"),
    (_LABELLED_SECRET_RE, r"\1[SECRET]"),
    (_EMAIL_RE, "[EMAIL]"),
    (_IBAN_RE, _replace_iban),
    (_CARD_RE, _replace_card),
    (_IPV6_RE, _replace_ip),
    (_IPV4_RE, _replace_ip),
    (_PHONE_RE, _replace_phone),
]


def redact(text: str) -> str:
    """Return `text` with every recognised kind of PII replaced by its typed placeholder."""
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return text
