"""Field-level encryption of ID numbers and phone numbers, and their keyed digests.

A database dump alone must not give back who the ledger names. So the clear value is stored only
sealed, AES-256-GCM with a random 96-bit nonce, as ``<key id>$<base64(nonce ‖ ciphertext ‖ tag)>``;
the field's purpose (``id_number``, ``phone``) is the associated data, so a value copied into the
other column does not open. Matching and uniqueness use a keyed digest, HMAC-SHA256 under a second
key: equal values give equal digests, and without the key a digest cannot be tested against the
small space of ID numbers (which a plain hash could, in minutes).

Both keys are derived (HKDF-SHA256, one label each) from one secret, ``FANGKONG_FIELD_KEY``, that
comes from the environment and is never stored in the database. The key id in each sealed value
names the secret it was sealed under: secrets listed in ``FANGKONG_FIELD_OLD_KEYS`` still open
their values, and ``fangkong rotate_field_key`` seals everything again under the current one (and
makes every digest again, since the digest key changes with it).

Values are sealed and digested column by column (one ``os.urandom`` call for all the nonces of a
column, the HMAC's inner and outer states computed once per key): the ledger import writes 100,000
of each at a time.
"""

from __future__ import annotations

import binascii
import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.db import models

NONCE = 12
MIN_SECRET_LENGTH = 32
SEPARATOR = "$"
PURPOSES = ("id_number", "phone")


class FieldKeyError(Exception):
    """A sealed value that no configured key opens (wrong key, unknown key id, or tampered)."""


@dataclass(frozen=True)
class FieldKey:
    key_id: str
    aead: AESGCM
    # HMAC-SHA256's inner and outer hash states after the key, per purpose: a digest is then two
    # copies and two updates, not the key schedule again for every value.
    inner: dict[str, Any]
    outer: Any


def _derive(secret: str, label: bytes, length: int) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=b"fangkong field key", info=label).derive(
        secret.encode()
    )


def derive_key(secret: str) -> FieldKey:
    if len(secret) < MIN_SECRET_LENGTH:
        raise ImproperlyConfigured(f"FANGKONG_FIELD_KEY must be at least {MIN_SECRET_LENGTH} characters long.")
    mac_key = _derive(secret, b"hmac-sha256 digest", 32).ljust(64, b"\0")
    inner_base = hashlib.sha256(bytes(b ^ 0x36 for b in mac_key))
    inner = {}
    for purpose in PURPOSES:
        state = inner_base.copy()
        state.update(purpose.encode() + b"\0")  # a digest of a phone never equals one of an ID number
        inner[purpose] = state
    return FieldKey(
        key_id=_derive(secret, b"key id", 4).hex(),
        aead=AESGCM(_derive(secret, b"aes-256-gcm", 32)),
        inner=inner,
        outer=hashlib.sha256(bytes(b ^ 0x5C for b in mac_key)),
    )


_keys: tuple[FieldKey, dict[str, FieldKey]] | None = None


def keys() -> tuple[FieldKey, dict[str, FieldKey]]:
    """The current key, and every configured key by key id (the current one included)."""
    global _keys
    if _keys is None:
        current = derive_key(settings.FANGKONG_FIELD_KEY)
        by_id = {key.key_id: key for key in map(derive_key, getattr(settings, "FANGKONG_FIELD_OLD_KEYS", []))}
        by_id[current.key_id] = current
        _keys = (current, by_id)
    return _keys


def _forget_keys(*, setting: str, **kwargs: Any) -> None:
    global _keys
    if setting.startswith("FANGKONG_FIELD_"):
        _keys = None


setting_changed.connect(_forget_keys)


# ---- sealing ------------------------------------------------------------------------------


def seal(values: Sequence[str], purpose: str) -> list[str]:
    """Each value sealed under the current key; an empty value stays empty (nothing to hide)."""
    key = keys()[0]
    aad = purpose.encode()
    encrypt = key.aead.encrypt
    prefix = key.key_id + SEPARATOR
    nonces = os.urandom(NONCE * len(values))
    b64 = binascii.b2a_base64
    return [
        prefix + b64(nonces[i : i + NONCE] + encrypt(nonces[i : i + NONCE], value.encode(), aad), newline=False).decode()
        if value else ""
        for i, value in zip(range(0, NONCE * len(values), NONCE), values, strict=True)
    ]


def unseal(tokens: Sequence[str], purpose: str) -> list[str]:
    """The clear values of sealed ones (an empty one is empty). Raises FieldKeyError for a value
    that no configured key opens."""
    by_id = keys()[1]
    aad = purpose.encode()
    result = []
    for token in tokens:
        if not token:
            result.append("")
            continue
        key_id, _sep, body = token.partition(SEPARATOR)
        key = by_id.get(key_id)
        if key is None:
            raise FieldKeyError(f"a {purpose} was sealed under key {key_id!r}, which is not configured "
                                "(FANGKONG_FIELD_KEY, FANGKONG_FIELD_OLD_KEYS)")
        try:
            raw = binascii.a2b_base64(body)
            result.append(key.aead.decrypt(raw[:NONCE], raw[NONCE:], aad).decode())
        except (InvalidTag, binascii.Error, ValueError):
            raise FieldKeyError(f"a sealed {purpose} does not open under key {key_id!r}") from None
    return result


def seal_one(value: str, purpose: str) -> str:
    return seal([value], purpose)[0]


def unseal_one(token: str, purpose: str) -> str:
    return unseal([token], purpose)[0]


def key_id_of(token: str) -> str:
    return token.partition(SEPARATOR)[0]


# ---- digests ------------------------------------------------------------------------------


def digests(values: Sequence[str], purpose: str) -> list[str]:
    """HMAC-SHA256 of each value under the current digest key, as hex; an empty value stays empty."""
    key = keys()[0]
    inner, outer = key.inner[purpose], key.outer
    result = []
    for value in values:
        if not value:
            result.append("")
            continue
        first = inner.copy()
        first.update(value.encode())
        second = outer.copy()
        second.update(first.digest())
        result.append(second.hexdigest())
    return result


def digest(value: str, purpose: str) -> str:
    return digests([value], purpose)[0]


# ---- model fields -------------------------------------------------------------------------


class SealedField(models.CharField):  # type: ignore[type-arg]
    """A sealed value (see the module). The audit log never records it: the mask beside it says
    what changed."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 100)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)


class DigestField(models.CharField):  # type: ignore[type-arg]
    """A keyed digest (hex HMAC-SHA256) of a sealed value, for matching and uniqueness."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)


# ---- checks -------------------------------------------------------------------------------


@checks.register(checks.Tags.security)
def check_field_key(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    messages: list[checks.CheckMessage] = []
    for name, secret in [("FANGKONG_FIELD_KEY", settings.FANGKONG_FIELD_KEY),
                         *[("FANGKONG_FIELD_OLD_KEYS", s) for s in getattr(settings, "FANGKONG_FIELD_OLD_KEYS", [])]]:
        if len(secret) < MIN_SECRET_LENGTH:
            messages.append(checks.Error(
                f"{name} holds a secret shorter than {MIN_SECRET_LENGTH} characters.", id="fangkong.E101"))
    return messages


@checks.register(checks.Tags.security, deploy=True)
def check_field_key_deploy(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    if getattr(settings, "FANGKONG_FIELD_KEY_GENERATED", False):
        return [checks.Warning(
            "FANGKONG_FIELD_KEY was generated into the data folder: set it in the environment (and keep a copy "
            "apart from the database backups), or a lost data folder loses every ID number and phone.",
            id="fangkong.W101",
        )]
    return []
