"""Dual reporting: two independent registrations matched by ID number, rates as of a moment,
who is missing a side, concealment suspects."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from fangkong.core.actors import SYSTEM
from fangkong.returnees import selectors, services
from fangkong.returnees.models import Registration, Returnee
from fangkong.returnees.stats import line_block
from tests import factories as f

TZ = timezone.get_current_timezone()


def at(day, hour=10):
    return dt.datetime(2020, 2, day, hour, tzinfo=TZ)


@pytest.fixture
def liaison(city):
    return f.user("unit_liaison", city.dept_a)


@pytest.fixture
def community_staff(city):
    return f.user("community_staff", city.comm_1)


def person_data(city, **extra):
    data = {"name": "刘返乡", "id_number": f.id_number(), "phone": "13900001111", "unit": city.dept_a,
            "community": city.comm_1, "category": "outside", "return_date": dt.date(2020, 2, 1),
            "origin_text": "湖北省武汉市"}
    data.update(extra)
    return data


def spelled_as_typed(number):
    """The ID number as a community worker might type it: full-width digits, spaces, a lowercase x."""
    wide = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c.lower() for c in number)
    return f"{wide[:6]} {wide[6:14]} {wide[14:]}"


def test_it_matches_both_sides_by_normalised_id(city, liaison, community_staff):
    number = next(n for n in iter(f.id_number, None) if n.endswith("X"))
    data = person_data(city, id_number=number)
    first = services.register(actor=liaison, side="unit", registered_at=at(2), **data)
    assert first.dual_state == "unit_only" and first.line == "organs"
    typed = spelled_as_typed(number)
    assert typed != number and typed.endswith("x")
    second = services.register(actor=community_staff, side="community", registered_at=at(4),
                               **{**data, "id_number": typed, "unit": None})
    assert second.pk == first.pk and Returnee.objects.count() == 1
    assert Returnee.objects.get().id_number == number
    second.refresh_from_db()
    assert second.dual_state == "both"
    assert second.unit_reported_at == at(2) and second.community_reported_at == at(4)
    assert Registration.objects.filter(returnee=second).count() == 2


def test_it_counts_the_rate_as_of_a_moment(city, liaison, community_staff):
    a = person_data(city)
    b = person_data(city, name="陈归来")
    services.register(actor=liaison, side="unit", registered_at=at(2), **a)
    services.register(actor=liaison, side="unit", registered_at=at(3), **b)
    services.register(actor=community_staff, side="community", registered_at=at(5), **a)
    qs = Returnee.objects.all()
    day2 = selectors.dual_figures(qs, selectors.end_of_day(dt.date(2020, 2, 2)))
    assert (day2["returnees"], day2["dual_reported"], day2["dual_report_rate"]) == (1, 0, 0.0)
    day5 = selectors.dual_figures(qs, selectors.end_of_day(dt.date(2020, 2, 5)))
    assert (day5["returnees"], day5["dual_reported"], day5["unit_only"], day5["dual_report_rate"]) == (2, 1, 1, 0.5)
    block = line_block("organs", dt.date(2020, 2, 5))
    assert block["units_with_returnees"] == 1 and block["returnees"] == 2 and block["dual_report_rate"] == 0.5
    assert line_block("industry", dt.date(2020, 2, 5))["returnees"] == 0
    missing = list(selectors.missing_side(qs, selectors.end_of_day(dt.date(2020, 2, 5))))
    assert [r.name for r in missing] == ["陈归来"]


def test_it_flags_a_concealment_suspect_when_only_the_community_names_the_unit(city, community_staff):
    services.register(actor=community_staff, side="community", registered_at=at(3), **person_data(city))
    figures = selectors.dual_figures(Returnee.objects.all(), selectors.end_of_day(dt.date(2020, 2, 3)))
    assert figures["concealment_suspects"] == 1 and figures["community_only"] == 1
    assert Registration.objects.get().stated_employer == city.dept_a


def test_it_derives_the_industry_line_and_coordinating_body(city, community_staff):
    returnee = services.register(actor=SYSTEM, side="unit", registered_at=at(2), **person_data(city, unit=city.industry))
    assert returnee.line == "industry" and returnee.coordinating_body_id == city.cb.pk


def test_it_refuses_registration_outside_scope_or_role(city, liaison):
    with pytest.raises(ValidationError) as exc:
        services.register(actor=liaison, side="unit", **person_data(city, unit=city.dept_b))
    assert "unit" in exc.value.message_dict
    with pytest.raises(PermissionDenied):
        services.register(actor=f.user("checkpoint_staff", city.checkpoint_1), side="community", **person_data(city))
    assert not Returnee.objects.exists()


def test_it_opens_a_fourteen_day_isolation_for_the_three_categories(city, liaison):
    outside = services.register(actor=liaison, side="unit", **person_data(city))
    assert outside.isolation.planned_end == dt.date(2020, 2, 15)
    other = services.register(actor=liaison, side="unit", **person_data(city, name="其他人", category="other"))
    assert not hasattr(other, "isolation") or other.isolation is None


def test_a_registration_from_a_form_is_audited_with_the_person(city, liaison):
    from fangkong.audit.models import AuditEntry

    returnee = services.register(actor=liaison, side="unit", **person_data(city))
    entry = AuditEntry.objects.get(object_type="returnees.returnee", object_id=str(returnee.pk))
    assert entry.action == "create" and entry.actor == liaison
    assert entry.after["id_number"] == returnee.masked_id_number and entry.after["unit"] == city.dept_a.pk
    registration = Registration.objects.get(returnee=returnee)
    assert registration.source_import is None and registration.registered_by == liaison
