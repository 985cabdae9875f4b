"""The token format and the offline checks, without the database."""

import datetime as dt

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from fangkong.passes import tokens

UTC = dt.UTC
KEY = Ed25519PrivateKey.generate()
OTHER = Ed25519PrivateKey.generate()
NOW = dt.datetime(2020, 2, 15, 8, 0, tzinfo=UTC)
CLAIMS = tokens.PassClaims(
    key_id=3, pass_id=123456, kind="staff", holder="李爱丽", unit_id=42, unit_name="市民政局",
    valid_from=NOW - dt.timedelta(days=1), valid_until=NOW + dt.timedelta(days=20), zones=(7, 9),
)
FRESH = tokens.RevocationState(issued_at=NOW - dt.timedelta(minutes=5), version=4)


def check(token, *, keys=None, state=FRESH, now=NOW, zones=None):
    return tokens.check(token, public_keys=keys or {3: KEY.public_key()}, revocations=state, now=now, zone_ids=zones)


def test_it_round_trips_and_is_short_enough_for_a_printed_card():
    token = tokens.sign(CLAIMS, KEY)
    body, sig = tokens.split(token)
    assert tokens.unpack(body) == CLAIMS
    assert len(token) < 200
    assert set(token[len(tokens.PREFIX):]) <= set(tokens.B45)
    assert check(token).verdict == "valid"
    assert check(token, zones=frozenset({1, 9})).verdict == "valid"


def test_it_answers_each_bad_case_with_its_verdict():
    token = tokens.sign(CLAIMS, KEY)
    assert check(token, keys={3: OTHER.public_key()}).verdict == "forged"
    assert check(token, keys={4: KEY.public_key()}).verdict == "unknown_key"
    assert check(token[:-10]).verdict in {"unreadable", "forged"}
    assert check("FK1:hello world").verdict == "unreadable"
    assert check("").verdict == "unreadable"
    assert check(token, now=NOW + dt.timedelta(days=30)).verdict == "expired"
    assert check(token, now=NOW - dt.timedelta(days=3)).verdict == "not_yet_valid"
    assert check(token, zones=frozenset({1, 2})).verdict == "wrong_zone"
    revoked = tokens.RevocationState(revoked=frozenset({123456}), issued_at=NOW, version=5)
    assert check(token, state=revoked).verdict == "revoked"


def test_a_stale_list_never_passes_and_says_how_old_it_is():
    token = tokens.sign(CLAIMS, KEY)
    stale = tokens.RevocationState(issued_at=NOW - dt.timedelta(hours=30), version=1)
    outcome = check(token, state=stale)
    assert outcome.verdict == "stale_list"
    assert outcome.list_age == dt.timedelta(hours=30)
    # A pass already on the stale list is still reported revoked.
    stale_revoked = tokens.RevocationState(revoked=frozenset({123456}), issued_at=stale.issued_at)
    assert check(token, state=stale_revoked).verdict == "revoked"


def test_a_token_forged_by_changing_a_claim_fails():
    token = tokens.sign(CLAIMS, KEY)
    body, sig = tokens.split(token)
    longer = body.replace(CLAIMS.valid_until.timestamp().__int__().to_bytes(4, "big"),
                          (int(CLAIMS.valid_until.timestamp()) + 86400 * 365).to_bytes(4, "big"))
    assert check(tokens.PREFIX + tokens.b45encode(longer + sig)).verdict == "forged"


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_no_tampered_token_is_valid(data):
    token = tokens.sign(CLAIMS, KEY)
    raw = bytearray(tokens.b45decode(token[len(tokens.PREFIX):]))
    how = data.draw(st.sampled_from(["flip", "truncate", "insert", "text"]))
    if how == "flip":
        i = data.draw(st.integers(0, len(raw) - 1))
        raw[i] ^= data.draw(st.integers(1, 255))
        text = tokens.PREFIX + tokens.b45encode(bytes(raw))
    elif how == "truncate":
        text = token[: data.draw(st.integers(0, len(token) - 1))]
    elif how == "insert":
        i = data.draw(st.integers(0, len(raw)))
        raw[i:i] = data.draw(st.binary(min_size=1, max_size=8))
        text = tokens.PREFIX + tokens.b45encode(bytes(raw))
    else:
        text = data.draw(st.text(max_size=250))
    assert check(text).verdict != "valid"


@given(st.binary(max_size=300))
def test_base45_round_trips(data):
    assert tokens.b45decode(tokens.b45encode(data)) == data


@pytest.mark.parametrize("text", ["FK1:A", "FK1:::::", "FK1:" + "Z" * 300, "fk1:" + "0" * 3])
def test_garbled_text_is_unreadable(text):
    assert check(text).verdict == "unreadable"


def test_a_remembered_signature_still_binds_its_key_and_its_bytes():
    """Signatures that verified are remembered (a pass is scanned many times a day); the memory
    never lets through what the arithmetic would refuse."""
    token = tokens.sign(CLAIMS, KEY)
    assert check(token).verdict == "valid"
    assert check(token).verdict == "valid"  # from memory
    # The same token under another key with the same id: the remembered entry is the other key's.
    assert check(token, keys={3: OTHER.public_key()}).verdict == "forged"
    # A token differing in one byte of its body or signature is checked afresh and refused.
    body, sig = tokens.split(token)
    for changed_body, changed_sig in [(body[:-1] + bytes([body[-1] ^ 1]), sig), (body, sig[:-1] + bytes([sig[-1] ^ 1]))]:
        forged = tokens.PREFIX + tokens.b45encode(changed_body + changed_sig)
        assert check(forged).verdict in ("forged", "unreadable")
    # A forged token is not remembered: asked again, still refused.
    forged = tokens.PREFIX + tokens.b45encode(body + sig[:-1] + bytes([sig[-1] ^ 1]))
    assert check(forged).verdict == "forged" and check(forged).verdict == "forged"


def test_the_memory_is_bounded(monkeypatch):
    monkeypatch.setattr(tokens, "VERIFIED_MEMO", 3)
    tokens._verified_memo.clear()
    for i in range(10):
        token = tokens.sign(tokens.PassClaims(**{**CLAIMS.__dict__, "pass_id": i + 1}), KEY)
        assert check(token).verdict == "valid"
        assert len(tokens._verified_memo) <= 3


def test_the_signature_state_is_what_every_verdict_starts_from():
    token = tokens.sign(CLAIMS, KEY)
    body, sig = tokens.split(token)
    claims = tokens.unpack(body)
    assert tokens.signature_state(body, sig, claims, public_keys={3: KEY.public_key()}) == "signed"
    assert tokens.signature_state(body, sig, claims, public_keys={3: OTHER.public_key()}) == "forged"
    assert tokens.signature_state(body, sig, claims, public_keys={4: KEY.public_key()}) == "unknown_key"
