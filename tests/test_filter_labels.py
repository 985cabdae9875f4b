"""Filters say 全部 (All), pickers 请选择 (Choose…): never ``---------`` or 未知 (Unknown); columns
are named for what they hold."""

import re

import pytest

from fangkong.core.actors import SYSTEM
from fangkong.reports.defaults import create_default_templates
from tests import factories as f

LISTS = ["/reports/flags/", "/returnees/", "/deployment/secondments/", "/deployment/rosters/", "/people/",
         "/passes/", "/orgs/units/"]
FORMS = ["/returnees/register/unit/", "/returnees/register/community/", "/deployment/secondments/new/",
         "/people/new/"]


def first_options(body):
    """Each select's name and the text of its first option."""
    out = {}
    for name, inner in re.findall(r'<select name="([^"]+)"[^>]*>(.*?)</select>', body, flags=re.S):
        first = re.search(r"<option[^>]*>(.*?)</option>", inner, flags=re.S)
        out[name] = first.group(1).strip() if first else ""
    return out


@pytest.fixture
def office_client(city, as_user):
    return as_user(f.user("committee_office", city.root))


def test_no_list_filter_shows_dashes_or_unknown(city, office_client):
    seen = 0
    for url in LISTS:
        response = office_client.get(url)
        if response.status_code == 404:
            continue
        body = response.content.decode()
        assert "---------" not in body, url
        filters = "".join(re.findall(r'<form class="filters.*?</form>', body, flags=re.S))
        for name, label in first_options(filters).items():
            if name in {"language", "template"}:
                continue
            assert label == "全部", (url, name, label)
            seen += 1
    assert seen >= 10


def test_form_pickers_ask_to_choose(city, office_client):
    for url in FORMS:
        body = office_client.get(url).content.decode()
        assert "---------" not in body, url
        labels = set(first_options(body).values())
        assert "未知" not in labels and "Unknown" not in labels, url
    body = office_client.get("/deployment/secondments/new/").content.decode()
    assert first_options(body)["person"] == "请选择" and first_options(body)["unit"] == "—"


def test_the_template_list_names_its_date_range_column(city, office_client):
    create_default_templates(actor=SYSTEM, start_date=__import__("datetime").date(2020, 1, 27))
    body = office_client.get("/reports/templates/").content.decode()
    assert "报送起止日期" in body and "<th>天数</th>" not in body
    assert "2020-01-27 – 长期" in body
