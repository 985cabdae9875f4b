"""Issuing, withdrawing and verifying passes against the database."""

import datetime as dt
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from fangkong.accounts.roles import Role
from fangkong.passes import keys, selectors, services
from fangkong.passes.choices import PassStatus
from fangkong.passes.models import Pass, RevocationList, SigningKey

from .. import factories as f
from .conftest import seconded


def test_it_issues_a_signed_staff_pass_that_verifies_at_its_checkpoint(city, staff_pass):
    assert re.fullmatch(r"S[2-9A-HJ-NP-Z]{3}-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{2}", staff_pass.number)
    result = selectors.verify_token(staff_pass.token, checkpoint_code=city.checkpoint_1.code)
    assert result.verdict == "valid"
    assert result.claims.holder == "李爱丽"
    assert result.claims.unit_name == city.dept_a.name
    assert result.claims.zones == (city.comm_1.pk,)


def test_a_pass_for_another_zone_is_refused_there(city, office, window):
    other_cp = f.unit("checkpoint", city.comm_2, "光明路卡点")
    p = services.issue_staff_pass(actor=office, person=city.bob, valid_from=window[0], valid_until=window[1],
                                  zones=[city.comm_2])
    assert selectors.verify_token(p.token, checkpoint_code=city.checkpoint_1.code).verdict == "wrong_zone"
    assert selectors.verify_token(p.token, checkpoint_code=other_cp.code).verdict == "valid"


def test_revoking_takes_effect_online_at_once_and_publishes_a_new_list(city, office, staff_pass):
    services.revoke_pass(actor=office, p=staff_pass, reason="调离")
    assert selectors.verify_token(staff_pass.token).verdict == "revoked"
    assert RevocationList.objects.get().revoked == [staff_pass.pk]
    doc = selectors.revocation_document()
    state = selectors.parse_revocation_document(doc, keys.public_keys())
    assert staff_pass.pk in state.revoked and state.version == 1


def test_suspend_and_reinstate(office, staff_pass):
    services.suspend_pass(actor=office, p=staff_pass)
    assert selectors.verify_token(staff_pass.token).verdict == "suspended"
    services.reinstate_pass(actor=office, p=staff_pass)
    assert selectors.verify_token(staff_pass.token).verdict == "valid"
    services.revoke_pass(actor=office, p=staff_pass)
    with pytest.raises(ValidationError):
        services.reinstate_pass(actor=office, p=staff_pass)


def test_expired_and_not_yet_valid(city, office):
    now = timezone.now()
    old = services.issue_staff_pass(actor=office, person=city.bob, valid_from=now - dt.timedelta(days=9),
                                    valid_until=now - dt.timedelta(days=1))
    future = services.issue_staff_pass(actor=office, person=city.carol, valid_from=now + dt.timedelta(days=1),
                                       valid_until=now + dt.timedelta(days=9))
    assert selectors.verify_token(old.token).verdict == "expired"
    assert selectors.verify_token(future.token).verdict == "not_yet_valid"


def test_a_holder_whose_secondment_ended_is_not_valid(city, office, window):
    seconded(city.bob, city.dept_b, city.comm_1, starts=dt.date(2020, 1, 1), ends=timezone.localdate() - dt.timedelta(days=1))
    p = services.issue_staff_pass(actor=office, person=city.bob, valid_from=window[0], valid_until=window[1])
    assert selectors.verify_token(p.token).verdict == "secondment_ended"
    doc = selectors.revocation_document()
    assert p.pk in selectors.parse_revocation_document(doc, keys.public_keys()).ended


def test_two_live_vehicle_passes_for_one_plate_are_refused(city, office, window):
    services.issue_vehicle_pass(actor=office, plate="吉F·12345", unit=city.dept_a, valid_from=window[0],
                                valid_until=window[1], driver_name="张师傅")
    with pytest.raises(ValidationError) as exc:
        services.issue_vehicle_pass(actor=office, plate="吉f12345", unit=city.dept_b, valid_from=window[0],
                                    valid_until=window[1])
    assert "吉F12345" in str(exc.value)
    assert Pass.objects.filter(plate="吉F12345").count() == 1


def test_a_plate_whose_pass_was_revoked_or_expired_can_have_a_new_one(city, office, window):
    now = timezone.now()
    old = services.issue_vehicle_pass(actor=office, plate="吉FD12345", unit=city.dept_a,
                                      valid_from=now - dt.timedelta(days=5), valid_until=now - dt.timedelta(days=1))
    new = services.issue_vehicle_pass(actor=office, plate="吉FD12345", unit=city.dept_a, valid_from=window[0],
                                      valid_until=window[1])
    old.refresh_from_db()
    assert old.status == PassStatus.EXPIRED
    services.revoke_pass(actor=office, p=new)
    services.issue_vehicle_pass(actor=office, plate="吉FD12345", unit=city.dept_a, valid_from=window[0],
                                valid_until=window[1])


@pytest.mark.parametrize("plate", ["", "F12345", "吉F1234", "吉F123456789", "吉FI2345", "吉F12O45", "吉F1234Z6D",
                                   "吉FA12345", "XYZ", "吉112345"])
def test_malformed_plates_are_refused_with_a_clear_error(city, office, window, plate):
    with pytest.raises(ValidationError) as exc:
        services.issue_vehicle_pass(actor=office, plate=plate, unit=city.dept_a, valid_from=window[0],
                                    valid_until=window[1])
    assert exc.value.messages[0]
    assert not Pass.objects.exists()


@pytest.mark.parametrize("plate", ["吉F12345", "京A·D1234", "吉FD12345", "粤B12345F", "吉F1234学", "吉F1234挂", "使123456"])
def test_good_plates_are_accepted(city, office, window, plate):
    p = services.issue_vehicle_pass(actor=office, plate=plate, unit=city.dept_a, valid_from=window[0],
                                    valid_until=window[1])
    assert selectors.verify_token(p.token).claims.holder == p.plate


def test_only_the_office_issues_and_revokes(city, window, staff_pass):
    liaison = f.user(Role.UNIT_LIAISON, city.dept_a)
    guard = f.user(Role.CHECKPOINT_STAFF, city.checkpoint_1)
    for user in (liaison, guard):
        with pytest.raises(PermissionDenied):
            services.issue_staff_pass(actor=user, person=city.alice, valid_from=window[0], valid_until=window[1])
        with pytest.raises(PermissionDenied):
            services.revoke_pass(actor=user, p=staff_pass)
    scoped_office = f.user(Role.COMMITTEE_OFFICE, city.dept_b)
    with pytest.raises(PermissionDenied):
        services.issue_staff_pass(actor=scoped_office, person=city.alice, unit=city.dept_a,
                                  valid_from=window[0], valid_until=window[1])


def test_zones_must_be_territory(city, office, window):
    with pytest.raises(ValidationError):
        services.issue_staff_pass(actor=office, person=city.alice, valid_from=window[0], valid_until=window[1],
                                  zones=[city.dept_b])


def test_key_rotation_keeps_old_passes_verifying(city, office, window, staff_pass):
    old_kid = staff_pass.key.key_id
    new = keys.rotate_key()
    assert new.key_id == old_kid + 1
    p2 = services.issue_staff_pass(actor=office, person=city.bob, valid_from=window[0], valid_until=window[1])
    assert p2.key_id == new.pk
    assert selectors.verify_token(staff_pass.token).verdict == "valid"
    assert selectors.verify_token(p2.token).verdict == "valid"
    # Once every pass the old key signed has expired, verifiers stop receiving it.
    Pass.objects.filter(key__key_id=old_kid).update(valid_until=timezone.now() - dt.timedelta(seconds=1),
                                                    valid_from=timezone.now() - dt.timedelta(days=2))
    assert old_kid not in {k.key_id for k in keys.verifying_keys()}


def test_private_keys_are_stored_encrypted(staff_pass, settings):
    """Each private key is stored as a Fernet token under a key derived (HKDF-SHA256) from
    PASSES_KEY_SECRET: that secret opens it to the very key that signs; any other secret, the
    SECRET_KEY included, does not, and the platform then cannot sign; the key is not stored in
    clear in any usual encoding."""
    import base64

    from cryptography.fernet import Fernet, InvalidToken
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    def fernet(secret):
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"fangkong-passes", info=b"signing-keys")
        return Fernet(base64.urlsafe_b64encode(derived.derive(secret.encode())))

    settings.PASSES_KEY_SECRET = "a-secret-only-for-pass-keys"
    try:
        made = keys.rotate_key()
        stored = bytes(SigningKey.objects.get(pk=made.pk).private_key_encrypted)
        current, private = keys.current_key()
        assert current.pk == made.pk
        raw = private.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                    serialization.NoEncryption())
        assert fernet("a-secret-only-for-pass-keys").decrypt(stored) == raw
        for other in (settings.SECRET_KEY, "a-secret-only-for-pass-keyS"):
            with pytest.raises(InvalidToken):
                fernet(other).decrypt(stored)
        for encoding in (raw, raw.hex().encode(), base64.b64encode(raw), base64.urlsafe_b64encode(raw)):
            assert encoding not in stored
        settings.PASSES_KEY_SECRET = "another-secret"
        keys.forget_keys()
        with pytest.raises(InvalidToken):
            keys.current_key()
    finally:
        keys.forget_keys()


def test_a_department_batch_issues_one_pass_per_seconded_cadre(city, office, window):
    extra = f.person(city.dept_a, "周下沉", is_cadre=True)
    seconded(city.alice, city.dept_a, city.checkpoint_1)
    seconded(extra, city.dept_a, None)
    seconded(city.bob, city.dept_b, city.comm_2)
    passes = services.issue_department_passes(actor=office, department=city.dept_a, on=timezone.localdate(),
                                              valid_from=window[0], valid_until=window[1])
    assert {p.person_id for p in passes} == {city.alice.pk, extra.pk}
    by_person = {p.person_id: p for p in passes}
    assert [z.pk for z in by_person[city.alice.pk].zones.all()] == [city.checkpoint_1.pk]
    assert not by_person[extra.pk].zones.exists()
    again = services.issue_department_passes(actor=office, department=city.dept_a, on=timezone.localdate(),
                                             valid_from=window[0], valid_until=window[1])
    assert again == []


def test_a_token_not_on_record_is_not_valid(staff_pass):
    token = staff_pass.token
    Pass.objects.filter(pk=staff_pass.pk).update(token="x")
    assert selectors.verify_token(token).verdict == "not_found"


def test_a_pass_revoked_after_the_phone_took_its_list_shows_the_list_is_stale(city, office, staff_pass):
    from fangkong.passes import tokens

    old_doc = selectors.revocation_document()  # what the phone downloaded
    services.revoke_pass(actor=office, p=staff_pass)
    state = selectors.parse_revocation_document(old_doc, keys.public_keys())
    assert staff_pass.pk not in state.revoked
    later = timezone.now() + dt.timedelta(hours=7, minutes=30)
    outcome = tokens.check(staff_pass.token, public_keys=keys.public_keys(), revocations=state, now=later,
                           zone_ids=None, max_list_age=selectors.MAX_LIST_AGE)
    assert outcome.verdict == "stale_list"
    assert dt.timedelta(hours=7, minutes=29) < outcome.list_age <= dt.timedelta(hours=7, minutes=31)
    # The fresh list has it.
    fresh = selectors.parse_revocation_document(selectors.revocation_document(), keys.public_keys())
    assert tokens.check(staff_pass.token, public_keys=keys.public_keys(), revocations=fresh,
                        now=timezone.now()).verdict == "revoked"


def test_a_forged_revocation_list_is_refused(staff_pass):
    import json as _json

    from cryptography.exceptions import InvalidSignature

    doc = selectors.revocation_document()
    payload = _json.loads(doc["payload"])
    payload["revoked"] = []
    payload["version"] += 1
    with pytest.raises(InvalidSignature):
        selectors.parse_revocation_document({**doc, "payload": _json.dumps(payload)}, keys.public_keys())
