"""Every figure of the command picture is the count of the list it links to, for several
moments and several roles, on the demo city; the demo shows the source's seed figures."""

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client

from fangkong.accounts.models import User
from fangkong.accounts.services import token_create
from fangkong.core.actors import SYSTEM

MOMENTS = ["2020-02-10", "2020-02-15T12:00:00+08:00", "2020-02-24T10:00:00+08:00", None]


def api(client, token, path, **params):
    response = client.get(path, params, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200, (path, response.content[:300])
    return response.json()


def count_of(client, token, path):
    data = api(client, token, path)
    return len(data) if isinstance(data, list) else data["count"]


def walk(client, token, moment):
    params = {"trend": "false"} | ({"as_of": moment} if moment else {})
    picture = api(client, token, "/api/v1/command", **params)
    checked = 0
    for line in picture["lines"]:
        if not line["enabled"]:
            assert line["figures"] == [] and line["alerts"] == []
            continue
        for figure in line["figures"]:
            value = figure["value"]
            numerator = count_of(client, token, figure["api_url"])
            if isinstance(value, float):
                denominator = count_of(client, token, figure["denominator_api_url"])
                if denominator:
                    assert round(numerator / denominator, 4) == value, (line["key"], figure)
                else:
                    assert numerator == 0, (line["key"], figure)
            else:
                assert isinstance(value, int)
                assert numerator == value, (line["key"], figure, numerator)
            assert figure["list_url"].startswith("/")
            checked += 1
    return picture, checked


@pytest.mark.django_db(transaction=False)
def test_it_links_every_figure_to_a_list_of_the_same_count_for_each_moment_and_role():
    call_command("demo")
    cache.clear()
    client = Client()
    users = {
        "office": User.objects.filter(role="committee_office", username="office").first()
        or User.objects.filter(role="committee_office").first(),
        "community": User.objects.get(username="community"),
        "liaison": User.objects.filter(role="unit_liaison").order_by("id").first(),
        # The committee's leader reads every list behind the picture (masked), as the office does.
        "leader": User.objects.get(username="leader"),
    }
    pictures = {}
    for name, user in users.items():
        token = token_create(user=user, actor=SYSTEM)
        for moment in MOMENTS:
            picture, checked = walk(client, token, moment)
            assert checked >= 10 or name not in ("office", "leader")
            pictures[name, moment] = picture

    # Closed moments were kept as snapshots: read again, every figure is the same and still the
    # count of its list.
    from fangkong.command.models import Snapshot

    assert Snapshot.objects.filter(day="2020-02-10").exists()
    assert not Snapshot.objects.filter(day__gte="2020-02-25").exists()
    for name in ("office", "community"):
        token = token_create(user=users[name], actor=SYSTEM)
        for moment in MOMENTS[:3]:
            again, _checked = walk(client, token, moment)
            assert again == pictures[name, moment]

    office = {line["key"]: line for line in pictures["office", "2020-02-10"]["lines"]}
    # The six lines, publicity and the campaign, the two the lines share, then reports and
    # instructions, in the source's order; every one in service.
    assert list(office) == ["organs", "industry", "deployment", "supervision", "donations", "livelihood",
                            "publicity", "reports", "passes", "documents"]
    assert [k for k, line in office.items() if not line["enabled"]] == []
    # The seed figures of the source, as of 10 February 24:00 and 15 February.
    organs = {f["key"]: f["value"] for f in office["organs"]["figures"]}
    industry = {f["key"]: f["value"] for f in office["industry"]["figures"]}
    assert (organs["units_with_returnees"], organs["returnees"], organs["dual_report_rate"]) == (62, 271, 1.0)
    assert (industry["units_with_returnees"], industry["industry_units"], industry["returnees"],
            industry["dual_report_rate"]) == (34, 67, 194, 1.0)
    assert "62" in office["organs"]["text"] and "271" in office["organs"]["text"]
    # The daily reports add their own line's units that did not report to the organs and industry lines.
    assert "organs_not_reported" in organs and "industry_not_reported" in industry
    # The industry line by coordinating body (面上统、分块抓): the four bodies.
    assert len(office["industry"]["breakdown"]) == 4
    deployment = {f["key"]: f["value"] for f in
                  {line["key"]: line for line in pictures["office", "2020-02-15T12:00:00+08:00"]["lines"]}
                  ["deployment"]["figures"]}
    assert 900 <= deployment["cadres_seconded"] <= 1100
    assert (deployment["streets"], deployment["communities"], deployment["checkpoints"]) == (7, 26, 99)
    # The donations line as of 24 February: the 25 departments of the source.
    donations = {f["key"]: f["value"] for f in
                 {line["key"]: line for line in pictures["office", "2020-02-24T10:00:00+08:00"]["lines"]}
                 ["donations"]["figures"]}
    assert donations["donor_departments"] == 25

    # A community sees its community: fewer returnees than the city, never more.
    community = {line["key"]: line for line in pictures["community", "2020-02-10"]["lines"]}
    assert community["organs"]["figures"][1]["value"] < organs["returnees"]
