"""The demo's donations line tells the source's figures of 25 February 2020, and the public page
shows them."""

import io
import json

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client

SEED = {"消毒液": (7000, "斤"), "手套": (1500, "副"), "暖贴": (6000, "个"), "口罩": (1000, "个"),
        "酒精": (300, "斤"), "棉大衣": (40, "件")}


@pytest.mark.django_db
def test_demo_has_the_seed_figures_and_the_public_page_matches():
    cache.clear()
    call_command("demo", stdout=io.StringIO())
    out = io.StringIO()
    call_command("stats", "--as-of", "2020-02-25", "--json", stdout=out)
    block = json.loads(out.getvalue())["donations"]
    assert block["donor_departments"] == 25
    assert block["received"] == {k: {"quantity": q, "unit": u} for k, (q, u) in SEED.items()}
    for name, (total, _unit) in SEED.items():
        out_ = block["distributed"].get(name, {"quantity": 0})["quantity"]
        assert 0 < out_ < total and block["in_stock"][name]["quantity"] == total - out_
    assert block["needs_open"] >= 1 and block["receipts_unsigned"] >= 1
    text = Client().get("/public/donations/").content.decode()
    assert "7000 斤" in text and "1500 副" in text and "社区工作人员" in text
