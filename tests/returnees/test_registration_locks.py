"""Locks on PostgreSQL: a single registration locks only the person it meets, so an import in
progress holds up nobody else; two writers of one person wait for each other and both land (the
second as an update), never as a unique-index error; a merge waits for a registration of the
person it removes. Each writer runs in its own thread, on its own connection, with its
transaction held open until the test lets it go."""

import datetime as dt
import threading

import pytest
from django.db import connection, transaction

from fangkong.core.idcard import id_digest
from fangkong.returnees import services
from fangkong.returnees.models import Registration, Returnee
from tests import factories as f

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif("connection.vendor != 'postgresql'", reason="row and advisory locks are PostgreSQL's"),
]
WAIT = 3  # seconds a writer that should not wait gets; one that should wait is still waiting after 1


class Writer(threading.Thread):
    """Runs ``work`` in a transaction on its own connection; with ``hold``, keeps the transaction
    open after the work until ``release`` is set."""

    def __init__(self, work, *, hold=False):
        super().__init__(daemon=True)
        self.work, self.hold = work, hold
        self.done, self.release = threading.Event(), threading.Event()
        self.result = self.error = None

    def run(self):
        try:
            with transaction.atomic():
                self.result = self.work()
                self.done.set()
                if self.hold:
                    self.release.wait(30)
        except BaseException as exc:  # handed to the test
            self.error = exc
            self.done.set()
        finally:
            connection.close()

    def finish(self):
        self.release.set()
        self.join(30)
        assert not self.is_alive()
        if self.error is not None:
            raise self.error
        return self.result


def data(city, **extra):
    values = {"name": "锁测试", "id_number": f.id_number(), "unit": city.dept_a, "community": city.comm_1,
              "category": "outside", "return_date": dt.date(2020, 2, 1)}
    values.update(extra)
    return values


def ledger_rows(city, actor, numbers):
    rows = [{"row": i + 2, "name": "导入人", "id_number": number, "phone": "", "employer": city.dept_a.code,
             "community": city.comm_1.code, "category": "outside", "return_date": dt.date(2020, 2, 1)}
            for i, number in enumerate(numbers)]
    clean, problems = services.validate_rows(actor=actor, side="unit", rows=rows)
    assert not problems
    return clean


def import_rows(city, actor, numbers):
    """apply_rows as a ledger import does it (the import lock, a source import)."""
    from fangkong.returnees.models import LedgerImport

    li = LedgerImport.objects.create(side="unit", file_name="x.xlsx", sha256="0" * 64, uploaded_by=actor)
    return services.apply_rows(actor=actor, side="unit", rows=ledger_rows(city, actor, numbers), source_import=li)


def test_an_import_in_progress_holds_up_no_registration_of_someone_else(city):
    liaison = f.user("unit_liaison", city.dept_a)
    importing = Writer(lambda: import_rows(city, liaison, [f.id_number() for _ in range(3)]), hold=True)
    importing.start()
    assert importing.done.wait(10) and importing.error is None
    registering = Writer(lambda: services.register(actor=liaison, side="unit", **data(city)))
    registering.start()
    registering.join(WAIT)
    waited = registering.is_alive()
    importing.finish()
    registering.finish()
    assert not waited, "a registration waited for an import of other people"
    assert Returnee.objects.count() == 4


def test_a_registration_of_someone_an_import_is_writing_waits_and_then_completes_the_person(city):
    liaison = f.user("unit_liaison", city.dept_a)
    number = f.id_number()
    importing = Writer(lambda: import_rows(city, liaison, [number]), hold=True)
    importing.start()
    assert importing.done.wait(10) and importing.error is None
    staff = f.user("community_staff", city.comm_1)
    registering = Writer(lambda: services.register(actor=staff, side="community", **data(city, id_number=number)))
    registering.start()
    registering.join(1)
    assert registering.is_alive(), "the registration did not wait for the person being written"
    importing.finish()
    registering.finish()
    person = Returnee.objects.get(id_digest=id_digest(number))
    assert person.dual_state == "both" and person.registrations.count() == 2


def test_two_registrations_of_one_new_person_both_land(city):
    number = f.id_number()
    first = Writer(lambda: services.register(actor=f.user("unit_liaison", city.dept_a), side="unit",
                                             **data(city, id_number=number)), hold=True)
    first.start()
    assert first.done.wait(10) and first.error is None
    second = Writer(lambda: services.register(actor=f.user("community_staff", city.comm_1), side="community",
                                              **data(city, id_number=number, unit=None)))
    second.start()
    second.join(1)
    assert second.is_alive(), "the second registration did not wait for the first"
    first.finish()
    second.finish()
    assert Returnee.objects.get(id_digest=id_digest(number)).dual_state == "both"
    assert Registration.objects.count() == 2


def test_an_import_meeting_a_person_a_registration_has_just_committed_tries_the_chunk_again(city):
    """The import looked the chunk up before the registration committed its new person; its write
    then meets the unique index, and the chunk is written again with that person as known."""
    liaison = f.user("unit_liaison", city.dept_a)
    known = services.register(actor=liaison, side="unit", **data(city))
    number = f.id_number()
    staff = f.user("community_staff", city.comm_1)
    # The community registers the person under the name the unit's ledger gives (an empty place
    # is taken only with the person's name as registered).
    registering = Writer(lambda: services.register(actor=staff, side="community",
                                                   **data(city, id_number=number, unit=None, name="导入人")),
                         hold=True)
    registering.start()
    assert registering.done.wait(10) and registering.error is None
    importing = Writer(lambda: import_rows(city, liaison, [known.id_number, number]))
    importing.start()
    importing.join(1)
    assert importing.is_alive(), "the import did not wait for the person being registered"
    registering.finish()
    result = importing.finish()
    # The community registered the person without an employer: the import takes the empty unit
    # place, which counts as new from the importer's side (docs/attribution.md).
    assert (result.created, result.updated + result.unchanged) == (1, 1)
    person = Returnee.objects.get(id_digest=id_digest(number))
    assert person.dual_state == "both" and person.unit_id == city.dept_a.pk


def test_a_merge_waits_for_a_registration_of_the_person_it_removes(city):
    office = f.user("committee_office", city.root)
    keep = services.register(actor=office, side="unit", **data(city, name="合并甲"))
    remove = services.register(actor=office, side="unit", **data(city, name="合并甲", community=None))
    staff = f.user("community_staff", city.comm_2)
    registering = Writer(lambda: services.register(
        actor=staff, side="community", **data(city, id_number=remove.id_number, community=city.comm_2, unit=None)),
        hold=True)
    registering.start()
    assert registering.done.wait(10) and registering.error is None
    merging = Writer(lambda: services.returnee_merge(actor=office, keep=keep, remove=remove))
    merging.start()
    merging.join(1)
    assert merging.is_alive(), "the merge did not wait for the registration"
    registering.finish()
    merging.finish()
    assert not Returnee.objects.filter(pk=remove.pk).exists()
    assert set(Registration.objects.values_list("returnee_id", flat=True)) == {keep.pk}
    assert Registration.objects.filter(side="community", unit=city.comm_2, returnee=keep).exists()
