"""Signing keys: created and rotated here, private halves kept encrypted in the database.

Why encrypted in the database: the keys must survive a restart and be shared by every web worker,
and the database is where everything else lives (backups included). The private half is
encrypted with Fernet under a key derived (HKDF-SHA256) from the setting PASSES_KEY_SECRET, which
defaults to SECRET_KEY; an operator who wants the signing secret apart from the Django secret
sets PASSES_KEY_SECRET in the environment. A database dump alone therefore cannot sign passes.
Changing that secret makes the stored private keys unreadable: rotate (``fangkong rotate_pass_key``)
after changing it; public keys, and so verification, are unaffected.
"""

from __future__ import annotations

import base64
import datetime as dt
import threading
import time

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import transaction
from django.db.models import Max

from fangkong.core import clock

from .models import Pass, SigningKey

_lock = threading.Lock()
_cache: dict[str, object] = {}
CACHE_SECONDS = 30.0


def _fernet() -> Fernet:
    secret = getattr(settings, "PASSES_KEY_SECRET", "") or settings.SECRET_KEY
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"fangkong-passes", info=b"signing-keys").derive(
        secret.encode()
    )
    return Fernet(base64.urlsafe_b64encode(derived))


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


@transaction.atomic
def rotate_key() -> SigningKey:
    """Create a new signing key and retire the current one (it keeps verifying its passes)."""
    private = Ed25519PrivateKey.generate()
    raw = private.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    now = clock.real_now()
    SigningKey.objects.select_for_update().filter(retired_at__isnull=True).update(retired_at=now)
    next_id = (SigningKey.objects.aggregate(m=Max("key_id"))["m"] or 0) + 1
    key = SigningKey.objects.create(
        key_id=next_id, public_key=_raw_public(private.public_key()),
        private_key_encrypted=_fernet().encrypt(raw),
    )
    forget_keys()
    return key


def forget_keys() -> None:
    with _lock:
        _cache.clear()


def current_key() -> tuple[SigningKey, Ed25519PrivateKey]:
    """The key that signs now, creating the first one on first use."""
    key = SigningKey.objects.filter(retired_at__isnull=True).order_by("-key_id").first()
    if key is None:
        key = rotate_key()
    raw = _fernet().decrypt(bytes(key.private_key_encrypted))
    return key, Ed25519PrivateKey.from_private_bytes(raw)


def verifying_keys(now: dt.datetime | None = None) -> list[SigningKey]:
    """Keys a verifier must know: the current one, and each retired key while a pass it signed
    is still unexpired."""
    now = now or clock.now()  # a pass's validity is business time
    still_needed = Pass.objects.filter(valid_until__gt=now).values("key_id")
    return list(
        SigningKey.objects.filter(retired_at__isnull=True) | SigningKey.objects.filter(id__in=still_needed)
    )


def public_keys() -> dict[int, Ed25519PublicKey]:
    """The verifying keys by key id, cached in the process for a few seconds."""
    with _lock:
        hit = _cache.get("public")
        if hit is not None and time.monotonic() - _cache["public_at"] < CACHE_SECONDS:  # type: ignore[operator]
            return hit  # type: ignore[return-value]
    keys = {k.key_id: Ed25519PublicKey.from_public_bytes(bytes(k.public_key)) for k in verifying_keys()}
    with _lock:
        _cache["public"] = keys
        _cache["public_at"] = time.monotonic()
    return keys


def public_key_document() -> list[dict[str, object]]:
    """The public keys as the checkpoint page and other verifiers download them."""
    return [
        {"kid": k.key_id, "public_key": base64.b64encode(bytes(k.public_key)).decode(), "retired": k.retired_at is not None}
        for k in verifying_keys()
    ]
