"""The donations line's services: quantities and units, the stock card, trace, receipts."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from fangkong.accounts.roles import Role
from fangkong.core.actors import SYSTEM
from fangkong.donations import selectors, services
from fangkong.donations.models import Receipt, StockBalance, StockMove
from tests import factories as f


def test_it_converts_exact_units_and_refuses_others(goods):
    assert services.to_item_quantity(goods.disinfectant, "10", goods.kg) == Decimal(20)
    assert services.to_item_quantity(goods.masks, "2", next(
        m for m in [__import__("fangkong.donations.models", fromlist=["Measure"]).Measure.objects.get(name="箱")]
    )) == Decimal(100)
    with pytest.raises(ValidationError, match="不能精确换算"):
        services.to_item_quantity(goods.gloves, "3", goods.kg)
    with pytest.raises(ValidationError, match="不是整数"):
        services.to_item_quantity(goods.gloves, "1.5")
    for bad in ("0", "-3", "abc", "NaN", "1e20"):
        with pytest.raises(ValidationError):
            services.to_item_quantity(goods.disinfectant, bad)


def test_it_keeps_a_stock_card_and_traces_first_in_first_out(city, goods):
    other = services.donor_create(actor=SYSTEM, kind="enterprise", name="白岭化工有限公司", anonymous=True)
    first = services.intake_record(actor=SYSTEM, store=goods.store, item=goods.disinfectant, quantity="100",
                                   donor=goods.donor, received_on=dt.date(2020, 2, 1), received_by="张库管")
    second = services.intake_record(actor=SYSTEM, store=goods.store, item=goods.disinfectant, quantity="50",
                                    measure=goods.kg, donor=other, received_on=dt.date(2020, 2, 2),
                                    received_by="张库管")
    assert second.quantity == 100 and second.entered_as == "50 公斤"
    d = services.distribution_create(actor=SYSTEM, store=goods.store, item=goods.disinfectant, to_unit=city.comm_1,
                                     quantity="150")
    assert services.balance_of(goods.store, goods.disinfectant) == 50
    card = list(selectors.stock_card(StockMove.objects.all(), goods.store.pk, goods.disinfectant.pk))
    assert [(m.quantity, m.balance_after, m.document) for m in card] == [
        (100, 100, first.number), (100, 200, second.number), (-150, 50, d.number)]
    traced = selectors.trace_of_distribution(d)
    assert [(t.intake_id, t.quantity) for t in traced] == [(first.pk, 100), (second.pk, 50)]
    assert [t.distribution_id for t in selectors.trace_of_intake(second)] == [d.pk]
    second.refresh_from_db()
    assert second.remaining == 50


def test_it_refuses_to_distribute_more_than_in_stock(city, goods):
    services.intake_record(actor=SYSTEM, store=goods.store, item=goods.gloves, quantity="10", donor=goods.donor,
                           received_by="张库管")
    with pytest.raises(ValidationError, match="只有10副"):
        services.distribution_create(actor=SYSTEM, store=goods.store, item=goods.gloves, to_unit=city.comm_1,
                                     quantity="11")
    assert services.balance_of(goods.store, goods.gloves) == 10
    assert StockMove.objects.count() == 1


def test_the_database_refuses_a_negative_balance(goods):
    row = StockBalance.objects.create(store=goods.store, item=goods.gloves, balance=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        StockBalance.objects.filter(pk=row.pk).update(balance=-1)


def test_write_off_needs_reason_and_approver_and_stays_above_zero(goods):
    services.intake_record(actor=SYSTEM, store=goods.store, item=goods.gloves, quantity="10", donor=goods.donor,
                           received_by="张库管")
    with pytest.raises(ValidationError):
        services.adjustment_record(actor=SYSTEM, store=goods.store, item=goods.gloves, quantity="2",
                                   write_off=True, reason="", approved_by="王组长")
    services.adjustment_record(actor=SYSTEM, store=goods.store, item=goods.gloves, quantity="2", write_off=True,
                               reason="受潮", approved_by="王组长")
    assert services.balance_of(goods.store, goods.gloves) == 8
    with pytest.raises(ValidationError):
        services.adjustment_record(actor=SYSTEM, store=goods.store, item=goods.gloves, quantity="-9",
                                   reason="盘点", approved_by="王组长")


def test_need_allocation_distribution_and_receipt(city, goods, office, community_user):
    services.intake_record(actor=SYSTEM, store=goods.store, item=goods.gloves, quantity="100", donor=goods.donor,
                           received_by="张库管")
    need = services.need_raise(actor=community_user, unit=city.comm_1, item=goods.gloves, quantity="40",
                               reason="卡点值守")
    with pytest.raises(PermissionDenied):
        services.need_raise(actor=community_user, unit=city.comm_2, item=goods.gloves, quantity="40", reason="x")
    plan = services.allocation_approve(actor=office, need=need, store=goods.store, quantity="40",
                                       approver_name="王组长")
    assert plan.basis == services.DEFAULT_BASIS
    d = services.distribution_create(actor=office, store=goods.store, allocation=plan, quantity="40",
                                     carrier="刘师傅", vehicle="吉F12345")
    assert d.to_unit == city.comm_1
    # someone not of the receiving unit
    stranger = f.user(Role.COMMUNITY_STAFF, city.comm_2)
    with pytest.raises(PermissionDenied):
        services.receipt_sign(actor=stranger, distribution=d, quantity_received="40")
    with pytest.raises(PermissionDenied):
        services.receipt_sign(actor=office, distribution=d, quantity_received="40")
    with pytest.raises(ValidationError, match="请说明"):
        services.receipt_sign(actor=community_user, distribution=d, quantity_received="38")
    receipt = services.receipt_sign(actor=community_user, distribution=d, quantity_received="38",
                                    discrepancy="两副破损")
    assert receipt.signer_name == "赵春兰"
    with pytest.raises(ValidationError, match="已签收"):
        services.receipt_sign(actor=community_user, distribution=d, quantity_received="40")
    with pytest.raises(ValidationError):
        services.receipt_edit(actor=community_user, receipt=receipt, quantity_received="40")
    correction = services.receipt_correct(actor=community_user, receipt=receipt, quantity_received="40",
                                          discrepancy="复点无误")
    assert correction.corrects == receipt
    receipt.refresh_from_db()
    assert receipt.quantity_received == 38
    assert Receipt.objects.count() == 2


def test_one_time_signing_link(city, goods, office):
    services.intake_record(actor=SYSTEM, store=goods.store, item=goods.gloves, quantity="10", donor=goods.donor,
                           received_by="张库管")
    d = services.distribution_create(actor=office, store=goods.store, item=goods.gloves, to_unit=city.checkpoint_1,
                                     quantity="10")
    link, token = services.signing_link_create(actor=office, distribution=d, receiver_name="孙二娥",
                                               receiver_role="卡点值守人员")
    assert token not in link.token_hash
    with pytest.raises(PermissionDenied):
        services.receipt_sign_by_link(token=token + "x", quantity_received="10")
    receipt = services.receipt_sign_by_link(token=token, quantity_received="10")
    assert receipt.by_link and receipt.signer_name == "孙二娥"
    with pytest.raises(PermissionDenied):
        services.receipt_sign_by_link(token=token, quantity_received="10")


def test_stats_block(city, goods):
    from fangkong.donations.stats import donations_block

    services.intake_record(actor=SYSTEM, store=goods.store, item=goods.disinfectant, quantity="7000",
                           donor=goods.donor, received_by="张库管", received_on=dt.date(2020, 2, 20))
    services.distribution_create(actor=SYSTEM, store=goods.store, item=goods.disinfectant, to_unit=city.comm_1,
                                 quantity="1000", dispatched_on=dt.date(2020, 2, 21))
    block = donations_block(dt.date(2020, 2, 25))
    assert block["received"] == {"消毒液": {"quantity": 7000, "unit": "斤"}}
    assert block["in_stock"] == {"消毒液": {"quantity": 6000, "unit": "斤"}}
    assert block["donor_departments"] == 1 and block["receipts_unsigned"] == 1
    assert donations_block(dt.date(2020, 2, 19))["received"] == {}
