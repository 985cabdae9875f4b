"""Leaders' instructions (批示) become follow-up items with deadlines and lights; each item is
answered and closed by the office; the instruction closes with its last item."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from fangkong.documents import selectors, services
from fangkong.documents.choices import ItemStatus, Light
from fangkong.documents.models import Instruction, InstructionItem
from fangkong.notify.models import Message

from .conftest import sign_and_issue


@pytest.fixture
def instruction(notice, office, leader, city):
    document = sign_and_issue(notice, office, leader)
    return services.instruction_record(
        actor=office, document=document, leader_name="王树林", leader_position="市委常委、常务副市长",
        given_on=dt.date(2020, 2, 12), text="此项工作抓得实，要持续做好返程人员排查。",
        items=[{"unit": city.dept_a, "task": "持续排查返程人员", "due_on": dt.date(2020, 2, 14)},
               {"unit": city.dept_b, "task": "落实双报制", "due_on": dt.date(2020, 2, 20), "person": city.bob}],
    )


def test_an_instruction_creates_its_items(instruction, city):
    assert instruction.items.count() == 2
    assert set(instruction.items.values_list("unit", flat=True)) == {city.dept_a.pk, city.dept_b.pk}


def test_lights_turn_yellow_near_the_deadline_and_red_past_it(instruction):
    item = instruction.items.get(task="持续排查返程人员")
    assert item.light(dt.date(2020, 2, 10)) == Light.GREEN
    assert item.light(dt.date(2020, 2, 13)) == Light.YELLOW
    assert item.light(dt.date(2020, 2, 15)) == Light.RED
    overdue = selectors.items_overdue(InstructionItem.objects.all(), dt.date(2020, 2, 15))
    assert list(overdue) == [item]


def test_items_are_answered_then_closed_and_the_instruction_closes_with_the_last(instruction, office, liaison_a,
                                                                                   city):
    a = instruction.items.get(unit=city.dept_a)
    b = instruction.items.get(unit=city.dept_b)
    with pytest.raises(ValidationError, match="result"):
        services.item_close(actor=office, item=a)
    with pytest.raises(PermissionDenied):
        services.item_answer(actor=liaison_a, item=b, answer="不是我的")
    services.item_answer(actor=liaison_a, item=a, answer="已完成排查，新增0人")
    services.item_close(actor=office, item=a)
    assert Instruction.objects.get(pk=instruction.pk).closed_at is None
    services.item_answer(actor=office, item=b, answer="已落实")
    closed = services.item_close(actor=office, item=b)
    assert closed.status == ItemStatus.CLOSED
    assert Instruction.objects.get(pk=instruction.pk).closed_at is not None
    with pytest.raises(ValidationError):
        services.item_close(actor=office, item=b)


def test_an_instruction_dated_in_the_future_or_on_a_draft_is_refused(notice, office, leader):
    with pytest.raises(ValidationError):
        services.instruction_record(actor=office, document=notice, leader_name="王", leader_position="市长",
                                    given_on=dt.date(2020, 2, 12), text="批示")
    document = sign_and_issue(notice, office, leader)
    with pytest.raises(ValidationError):
        services.instruction_record(actor=office, document=document, leader_name="王", leader_position="市长",
                                    given_on=dt.date(2999, 1, 1), text="批示")


def test_reminders_go_to_the_units_of_items_due_soon(instruction, office):
    assert services.remind_items(actor=office, day=dt.date(2020, 2, 13)) == 1
    assert Message.objects.filter(key__startswith="documents:item:").count() == 1
    assert services.remind_items(actor=office, day=dt.date(2020, 2, 13)) == 0


def test_a_unit_sees_the_instructions_it_has_items_of(instruction, liaison_a, city):
    from tests import factories as f

    assert Instruction.objects.visible_to(liaison_a).filter(pk=instruction.pk).exists()
    assert list(InstructionItem.objects.visible_to(liaison_a).values_list("unit", flat=True)) == [city.dept_a.pk]
    outsider = f.user("community_staff", city.comm_2)
    assert not Instruction.objects.visible_to(outsider).exists()
