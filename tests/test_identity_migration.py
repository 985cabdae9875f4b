"""Existing people and returnees are sealed by the migrations (and opened again going back), and the
foreign keys of the ledger get their constraints."""

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from fangkong.core.fieldcrypt import unseal
from fangkong.core.idcard import id_digest, mask_id_number, mask_phone

BEFORE = [("people", "0002_person_order"), ("returnees", "0003_import_defaults")]
AFTER = [("people", "0003_encrypted_identity"), ("returnees", "0006_foreign_key_constraints")]
NUMBER, PHONE = "22060219870417001X", "13912345678"
OTHER = "110105194912310021"


def migrate(targets):
    # ``migrate`` takes the command picture's expiry triggers and the ledger tally's off while it
    # runs (they read columns and tables these migrations drop) and puts them back after; the
    # executor alone sends no such signal.
    from fangkong.command.snapshots import drop_triggers
    from fangkong.returnees import tally

    drop_triggers()
    tally.drop_triggers()
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_existing_numbers_are_sealed_and_opened_again_going_back():
    # Going back unapplies every app that depends on these migrations (the later lines do): forward
    # again to every app's latest.
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        old = migrate(BEFORE)
        Unit = old.get_model("orgs", "Unit")
        unit = Unit.objects.create(code="M1", name="迁移局", kind="department", level=0)
        person = old.get_model("people", "Person").objects.create(
            name="迁移", name_initials="qy", id_number=NUMBER, sex="M", birth_date=dt.date(1987, 4, 17), phone=PHONE,
            phone_tail=PHONE[-4:], unit_id=unit.pk)
        returnee = old.get_model("returnees", "Returnee").objects.create(
            name="迁移", id_number=OTHER, sex="F", birth_date=dt.date(1949, 12, 31), phone="", unit_id=unit.pk)

        new = migrate(AFTER)
        sealed = new.get_model("people", "Person").objects.get(pk=person.pk)
        assert unseal([sealed.id_cipher], "id_number") == [NUMBER] and unseal([sealed.phone_cipher], "phone") == [PHONE]
        assert (sealed.id_digest, sealed.id_masked, sealed.phone_masked, sealed.birth_year) == (
            id_digest(NUMBER), mask_id_number(NUMBER), mask_phone(PHONE), 1987)
        row = new.get_model("returnees", "Returnee").objects.get(pk=returnee.pk)
        assert unseal([row.id_cipher], "id_number") == [OTHER] and row.phone_cipher == row.phone_masked == ""
        assert (row.id_digest, row.birth_year) == (id_digest(OTHER), 1949)

        back = migrate(BEFORE)
        opened = back.get_model("people", "Person").objects.get(pk=person.pk)
        assert (opened.id_number, opened.phone, opened.birth_date) == (NUMBER, PHONE, dt.date(1987, 4, 17))
        row = back.get_model("returnees", "Returnee").objects.get(pk=returnee.pk)
        assert (row.id_number, row.phone, row.birth_date) == (OTHER, "", dt.date(1949, 12, 31))
    finally:
        from fangkong.command.snapshots import install_triggers
        from fangkong.returnees import tally

        migrate(latest)
        install_triggers()
        tally.install_triggers()
        tally.rebuild()
