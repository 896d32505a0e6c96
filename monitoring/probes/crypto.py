"""Encryption at rest for probe credentials (Fernet, with key rotation through MultiFernet).

Keys come from `LLMSCOPE_ENCRYPTION_KEY`: one or more comma-separated Fernet keys
(`Fernet.generate_key()`); the first encrypts, all of them decrypt, so a key is rotated by
putting the new key first, running `manage.py rotate_probe_credentials`, then dropping the
old key. With no key set (the embedded default), a key is derived from SECRET_KEY with HKDF:
stable across restarts, but it means rotating SECRET_KEY makes stored credentials unreadable,
which is why production should set its own key.
"""

from __future__ import annotations

import base64
import functools

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class CredentialUnreadable(Exception):
    """A stored credential that none of the configured keys can decrypt."""


def derive_key(secret_key: str) -> bytes:
    """A Fernet key derived from SECRET_KEY (the embedded default; see the module docstring)."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"llmscope", info=b"probe-credentials")
    return base64.urlsafe_b64encode(hkdf.derive(secret_key.encode()))


@functools.lru_cache(maxsize=8)
def _fernet(keys: tuple[str, ...], secret_key: str) -> MultiFernet:
    if not keys:
        return MultiFernet([Fernet(derive_key(secret_key))])
    fernets = []
    for position, key in enumerate(keys, start=1):
        try:
            fernets.append(Fernet(key.encode()))
        except (ValueError, TypeError) as exc:
            raise ImproperlyConfigured(
                f"LLMSCOPE_ENCRYPTION_KEY: key #{position} is not a Fernet key "
                "(32 url-safe base64-encoded bytes, see Fernet.generate_key())."
            ) from exc
    return MultiFernet(fernets)


def _current() -> MultiFernet:
    return _fernet(tuple(settings.LLMSCOPE_ENCRYPTION_KEYS), settings.SECRET_KEY)


def encrypt_secret(plaintext: str) -> str:
    """The Fernet token (ASCII) for `plaintext`, under the first configured key."""
    return _current().encrypt(plaintext.encode()).decode()


def decrypt_secret(token: str) -> str:
    """The plaintext of a token made by `encrypt_secret` under any configured key."""
    try:
        return _current().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise CredentialUnreadable(
            "The stored credential cannot be decrypted with the configured keys "
            "(was LLMSCOPE_ENCRYPTION_KEY changed without keeping the old key?)."
        ) from exc


def rotate_secret(token: str) -> str:
    """Re-encrypt a token under the first key (MultiFernet.rotate)."""
    try:
        return _current().rotate(token.encode()).decode()
    except InvalidToken as exc:
        raise CredentialUnreadable("The stored credential cannot be decrypted.") from exc
