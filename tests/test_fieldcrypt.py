"""ID numbers and phones at rest: sealed (AES-256-GCM), found by a keyed digest (HMAC-SHA256), the
key from the environment and never in the database; a dump of every table gives none of them
back, and the key rotates."""

import hashlib
import hmac
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from fangkong.core import fieldcrypt
from fangkong.core.fieldcrypt import FieldKeyError, digest, digests, key_id_of, seal, unseal
from fangkong.core.idcard import id_digest, id_number_columns, mask_id_number, mask_phone, phone_columns
from fangkong.people.models import Person
from fangkong.returnees import services as returnee_services
from fangkong.returnees.models import Returnee

from . import factories as f

OLD = "an-old-field-secret-of-at-least-32-characters"
NEW = "a-new-field-secret-of-at-least-32-characters!"
NUMBER = "22060219870417001X"


def test_it_seals_each_value_afresh_and_opens_it_again():
    tokens = seal([NUMBER, NUMBER, ""], "id_number")
    assert tokens[0] != tokens[1] and tokens[2] == ""  # a random nonce per value; nothing to hide in ""
    assert all(NUMBER not in t and "19870417" not in t for t in tokens)
    assert unseal(tokens, "id_number") == [NUMBER, NUMBER, ""]
    assert key_id_of(tokens[0]) == fieldcrypt.keys()[0].key_id


def test_a_sealed_value_opens_only_for_its_own_purpose_and_untouched():
    token = seal([NUMBER], "id_number")[0]
    with pytest.raises(FieldKeyError):
        unseal([token], "phone")  # the purpose is the associated data: a copied column does not open
    key_id, _sep, body = token.partition("$")
    flipped = body[:10] + ("A" if body[10] != "A" else "B") + body[11:]
    with pytest.raises(FieldKeyError):
        unseal([f"{key_id}${flipped}"], "id_number")
    with pytest.raises(FieldKeyError, match="not configured"):
        unseal([f"deadbeef${body}"], "id_number")


def test_the_digest_is_hmac_sha256_under_its_own_derived_key(settings):
    mac_key = fieldcrypt._derive(settings.FANGKONG_FIELD_KEY, b"hmac-sha256 digest", 32)
    expected = hmac.new(mac_key, b"id_number\0" + NUMBER.encode(), hashlib.sha256).hexdigest()
    assert digest(NUMBER, "id_number") == expected
    enc_key = fieldcrypt._derive(settings.FANGKONG_FIELD_KEY, b"aes-256-gcm", 32)
    assert mac_key != enc_key  # one secret, two keys
    assert digests([NUMBER, ""], "id_number") == [expected, ""]
    assert digest(NUMBER, "phone") != expected  # the same text in another field digests differently
    with override_settings(FANGKONG_FIELD_KEY=NEW):
        assert digest(NUMBER, "id_number") != expected  # keyed: without the key, no dictionary of IDs


def test_what_a_record_stores_is_made_in_one_place():
    columns = id_number_columns([NUMBER])
    assert columns["id_masked"] == [mask_id_number(NUMBER)] == ["220602********001X"]
    assert columns["id_digest"] == [id_digest(NUMBER)] and columns["birth_year"] == [1987]
    assert columns["sex"] == ["M"] and unseal(columns["id_cipher"], "id_number") == [NUMBER]
    phones = phone_columns(["13912345678", ""])
    assert phones["phone_masked"] == [mask_phone("13912345678"), ""] and phones["phone_cipher"][1] == ""


def test_it_refuses_a_short_secret():
    from django.core.exceptions import ImproperlyConfigured

    with override_settings(FANGKONG_FIELD_KEY="short"), pytest.raises(ImproperlyConfigured):
        seal([NUMBER], "id_number")
    with override_settings(FANGKONG_FIELD_KEY="short"):
        assert [m.id for m in fieldcrypt.check_field_key()] == ["fangkong.E101"]


def _dump() -> str:
    """Every row of every table, as text: what a database dump holds."""
    parts = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            parts.extend(map(repr, cursor.fetchall()))
    return "\n".join(parts)


@pytest.mark.django_db
def test_a_dump_of_the_database_gives_back_no_id_number_phone_or_birth_date(city):
    """People, returnees registered by form and by ledger, a previewed secondment list and the
    audit log: no table holds a full ID number, a phone or a birth date in any form."""
    import xlsxwriter

    from fangkong.deployment import imports as secondment_imports
    from fangkong.returnees import imports

    office = f.user("committee_office", city.root)
    person = f.person(city.dept_a, "周密", id_number=f.id_number("19870417"), phone="13987654321")
    returnee_services.register(actor=office, side="unit", name="吴归", id_number=f.id_number("19790823"),
                               phone="13911223344", unit=city.dept_a)
    imported = f.id_number("19660305")
    ledger = Path(os.environ.get("TMPDIR", "/tmp")) / f"fk-dump-{os.getpid()}.xlsx"
    book = xlsxwriter.Workbook(str(ledger))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["姓名", "身份证号", "联系电话", "工作单位", "居住社区", "返回日期"])
    sheet.write_row(1, 0, ["郑入", imported, "13955667788", city.dept_a.name, city.comm_1.name, "2020-02-01"])
    book.close()
    li = imports.import_create(actor=office, side="unit", source=ledger, file_name="l.xlsx")
    assert imports.import_run(li, commit=True).status == "committed"
    seconded = f.id_number("19711212")
    listing = Path(os.environ.get("TMPDIR", "/tmp")) / f"fk-dump-{os.getpid()}-s.xlsx"
    book = xlsxwriter.Workbook(str(listing))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["序号", "姓名", "身份证号", "派出单位", "下沉地点", "职责", "下沉日期", "结束日期"])
    sheet.write_row(1, 0, ["1", "冯新", seconded, city.dept_a.name, city.comm_1.name, "队员", "2020-02-01", ""])
    sheet.write_row(2, 0, ["2", "冯新", seconded, city.dept_a.name, city.comm_1.name, "队员", "2020-02-01", ""])
    book.close()
    record = secondment_imports.import_preview(actor=office, source=listing, file_name="s.xlsx")
    assert record.error_count == 1  # the number twice: a problem that names it
    ledger.unlink()
    listing.unlink()
    dump = _dump()
    for number in (person.id_number, Returnee.objects.get(name="吴归").id_number, imported, seconded):
        birth = number[6:14]
        for text in (number, birth, f"{birth[:4]}-{birth[4:6]}-{birth[6:]}"):
            assert text not in dump, text
    for phone in ("13987654321", "13911223344", "13955667788"):
        assert phone not in dump
    assert mask_id_number(person.id_number) in dump  # what is stored in clear is the mask


@pytest.mark.django_db
def test_the_key_rotates_and_old_values_still_open_meanwhile(city, settings):
    with override_settings(FANGKONG_FIELD_KEY=OLD):
        person = f.person(city.dept_a, "换钥", id_number=NUMBER, phone="13900001111")
        old_id = fieldcrypt.keys()[0].key_id
    # The city's people were sealed under the suite's key: it is an old one too.
    with override_settings(FANGKONG_FIELD_KEY=NEW, FANGKONG_FIELD_OLD_KEYS=[OLD, settings.FANGKONG_FIELD_KEY]):
        person = Person.objects.get(pk=person.pk)
        assert key_id_of(person.id_cipher) == old_id and person.id_number == NUMBER  # still opens
        call_command("rotate_field_key", stdout=open(os.devnull, "w"))  # noqa: SIM115
        person = Person.objects.get(pk=person.pk)
        assert key_id_of(person.id_cipher) == key_id_of(person.phone_cipher) == fieldcrypt.keys()[0].key_id
        assert Person.objects.filter(id_digest=id_digest(NUMBER)).get() == person
    with override_settings(FANGKONG_FIELD_KEY=NEW):
        person = Person.objects.get(pk=person.pk)
        assert person.id_number == NUMBER and person.phone == "13900001111"  # without the old secret
        assert person.masked_id_number == "220602********001X"
    with override_settings(FANGKONG_FIELD_KEY=OLD), pytest.raises(FieldKeyError):
        Person.objects.get(pk=person.pk).id_number  # noqa: B018  (the old key alone no longer opens it)


def test_the_default_key_is_generated_once_into_the_data_dir_owner_only(tmp_path):
    """`make run` and the tests work without configuration: the key is made once, kept beside the
    SQLite file and SECRET_KEY (never in the database), readable by the owner only, and reused."""
    env = {k: v for k, v in os.environ.items() if k not in {"FANGKONG_FIELD_KEY", "DATABASE_URL"}}
    env["FANGKONG_DATA_DIR"] = str(tmp_path)
    code = "from fangkong.config import settings as s; print(s.FANGKONG_FIELD_KEY, s.FANGKONG_FIELD_KEY_GENERATED)"
    first = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    again = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert first == again and first.split()[1] == "True" and len(first.split()[0]) >= 32
    assert stat.S_IMODE((tmp_path / "field_key").stat().st_mode) == 0o600
    env["FANGKONG_FIELD_KEY"] = NEW
    given = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert given.split() == [NEW, "False"]


def test_a_deployment_without_an_explicit_key_is_warned(settings):
    settings.FANGKONG_FIELD_KEY_GENERATED = True
    assert [m.id for m in fieldcrypt.check_field_key_deploy()] == ["fangkong.W101"]
    settings.FANGKONG_FIELD_KEY_GENERATED = False
    assert fieldcrypt.check_field_key_deploy() == []
