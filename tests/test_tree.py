"""The organisation tree: grammar, the closure table, moves and cycles."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fangkong.core.actors import SYSTEM
from fangkong.core.scoping import subtree_query
from fangkong.orgs import services
from fangkong.orgs.choices import UnitKind as K
from fangkong.orgs.models import Unit, UnitLink
from fangkong.people.models import Person

from . import factories as f


def test_it_answers_everything_under_a_unit_in_one_query(city):
    with CaptureQueriesContext(connection) as ctx:
        names = set(Unit.objects.filter(id__in=subtree_query(city.street.pk)).values_list("name", flat=True))
    assert names == {"东兴街道", "红旗社区", "光明社区", "江北路卡点"}
    assert len(ctx.captured_queries) == 1
    with CaptureQueriesContext(connection) as ctx:
        people = set(Person.objects.filter(unit__in=subtree_query(city.street.pk)).values_list("name", flat=True))
    assert people == {"赵春兰", "钱大为", "孙二娥"} and len(ctx.captured_queries) == 1
    assert set(Person.objects.under(city.street.pk).values_list("name", flat=True)) == people


def test_it_uses_an_index_for_the_subtree_lookup(city):
    sql, params = UnitLink.objects.filter(ancestor_id=city.street.pk).values("descendant_id").query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            plan = " ".join(str(row) for row in cursor.fetchall())
            assert "USING" in plan and "INDEX" in plan.upper()
        else:
            cursor.execute("SET enable_seqscan = off")
            cursor.execute("EXPLAIN " + sql, params)
            plan = " ".join(row[0] for row in cursor.fetchall())
            cursor.execute("SET enable_seqscan = on")
            assert "Index" in plan


def test_it_refuses_a_kind_under_the_wrong_parent(city):
    with pytest.raises(ValidationError) as exc:
        f.unit(K.COMMUNITY, city.dept_a)
    assert "parent" in exc.value.message_dict
    with pytest.raises(ValidationError):
        f.unit(K.STREET, None)


def test_it_moves_a_subtree_and_keeps_the_closure_exact(city):
    street2 = f.unit(K.STREET, city.root, "西城街道")
    services.unit_update(actor=SYSTEM, unit=city.comm_1, parent=street2)
    assert set(Unit.objects.under(street2.pk).values_list("name", flat=True)) == {"西城街道", "红旗社区", "江北路卡点"}
    assert set(Unit.objects.under(city.street.pk).values_list("name", flat=True)) == {"东兴街道", "光明社区"}
    checkpoint = Unit.objects.get(pk=city.checkpoint_1.pk)
    assert checkpoint.level == 3
    # The closure must equal what walking the parent pointers gives, for every unit.
    for unit in Unit.objects.all():
        expected, node, depth = set(), unit, 0
        while node is not None:
            expected.add((node.pk, depth))
            node, depth = node.parent, depth + 1
        assert set(UnitLink.objects.filter(descendant=unit).values_list("ancestor_id", "depth")) == expected


def test_it_refuses_cycles(city):
    with pytest.raises(ValidationError) as exc:
        services.unit_update(actor=SYSTEM, unit=city.dept_a, parent=city.dept_a)
    assert "parent" in exc.value.message_dict
    pc = Unit.objects.get(parent=city.dept_a)
    gb = Unit.objects.get(parent=pc)
    # A general branch may not take its own department's party committee... placed under itself.
    with pytest.raises(ValidationError):
        services.unit_update(actor=SYSTEM, unit=pc, parent=gb)


def test_it_refuses_to_delete_a_unit_with_units_or_people(city):
    with pytest.raises(ValidationError):
        services.unit_delete(actor=SYSTEM, unit=city.street)
    with pytest.raises(ValidationError):
        services.unit_delete(actor=SYSTEM, unit=city.checkpoint_1)
    empty = f.unit(K.CHECKPOINT, city.comm_2)
    services.unit_delete(actor=SYSTEM, unit=empty)
    assert not UnitLink.objects.filter(descendant_id=empty.pk).exists()


def test_it_reports_an_unknown_parent_through_the_form(city, as_user):
    client = as_user(f.user("committee_office", city.root))
    response = client.post("/orgs/units/new/", {"code": "X1", "name": "新单位", "kind": "community", "parent": 999999})
    assert response.status_code == 400
    assert not Unit.objects.filter(code="X1").exists()


def test_it_pairs_departments_with_communities_only(city):
    pairing = services.pairing_create(actor=SYSTEM, department=city.dept_a, community=city.comm_1)
    assert str(pairing)
    with pytest.raises(ValidationError):
        services.pairing_create(actor=SYSTEM, department=city.comm_1, community=city.dept_a)


def test_it_answers_under_the_root_and_under_large_subtrees(city, monkeypatch):
    from fangkong.core import scoping

    everyone = set(Person.objects.values_list("name", flat=True))
    assert set(Person.objects.under(city.root.pk).values_list("name", flat=True)) == everyone
    # Large subtrees use the sub-select instead of literal ids; the answer is the same.
    monkeypatch.setattr(scoping, "LITERAL_IDS_LIMIT", 1)
    assert set(Person.objects.under(city.root.pk).values_list("name", flat=True)) == everyone
    assert set(Person.objects.under(city.street.pk).values_list("name", flat=True)) == {"赵春兰", "钱大为", "孙二娥"}
    # With a second root, the first no longer covers everything.
    other = f.unit(K.CITY, None, "邻市")
    f.person(f.unit(K.STREET, other, "邻街"), "外市人")
    assert "外市人" not in set(Person.objects.under(city.root.pk).values_list("name", flat=True))
    # Few units outside a large subtree: the answer comes from "not in those few".
    monkeypatch.setattr(scoping, "LITERAL_IDS_LIMIT", 3)
    names = set(Person.objects.under(city.root.pk).values_list("name", flat=True))
    assert names == everyone and "外市人" not in names
    assert set(Person.objects.under(other.pk).values_list("name", flat=True)) == {"外市人"}
