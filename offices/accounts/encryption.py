"""Secrets an office stores (its own SMTP password) are kept encrypted: Fernet (``cryptography``).

The key is ``FIELD_ENCRYPTION_KEY`` when set, else one derived from ``SECRET_KEY`` (HKDF-SHA256, so the
database alone — a dump, a backup — never reveals the password). Decryption tries both keys
(``MultiFernet``), so rows written before the operator set ``FIELD_ENCRYPTION_KEY`` stay readable; saving
again re-encrypts under the first key.
"""

import base64

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

_INFO = b"biurko.field-encryption.v1"


class DecryptionError(Exception):
    """A stored secret cannot be read with the configured keys (the keys changed)."""


def _derived_key(secret_key: str) -> bytes:
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(secret_key.encode())
    return base64.urlsafe_b64encode(raw)


def _fernet() -> MultiFernet:
    keys = []
    if settings.FIELD_ENCRYPTION_KEY:
        keys.append(Fernet(settings.FIELD_ENCRYPTION_KEY.encode()))
    keys.append(Fernet(_derived_key(settings.SECRET_KEY)))
    return MultiFernet(keys)


def encrypt(value: str) -> str:
    """The token stored in the database ('' stays '': nothing stored)."""
    if not value:
        return ""
    return _fernet().encrypt(value.encode()).decode("ascii")


def decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode("ascii")).decode()
    except (InvalidToken, ValueError) as error:
        raise DecryptionError("The stored secret cannot be decrypted with the configured keys.") from error
