"""The demo city's livelihood line and campaign, and `fangkong stats --as-of 2020-02-25 --json`:
the source's figures (1,000+ official forwards, the relay pledge forwarded 5,000+ times, 100+
media pushes), each with its records behind it."""

import io
import json

import pytest
from django.core.management import call_command
from django.db.models import Sum

from fangkong.livelihood.models import ChannelVolume, HelpRequest
from fangkong.people.models import Person
from fangkong.publicity.models import MediaPush, OfficialForward, PledgeSignature, ShareCount


@pytest.mark.django_db
def test_the_demo_has_the_source_figures_and_the_stats_blocks():
    call_command("demo", stdout=io.StringIO())
    out = io.StringIO()
    call_command("stats", "--as-of", "2020-02-25", "--json", stdout=out)
    stats = json.loads(out.getvalue())
    publicity, services = stats["publicity"], stats["services"]
    assert publicity["official_forwards"] >= 1000
    assert publicity["pledge_forwards"] >= 5000
    assert publicity["media_pushes"] >= 100
    assert 1 <= publicity["model_deeds_published"] <= 5
    members = Person.objects.filter(is_party_member=True, is_active=True, branch__isnull=False).count()
    assert publicity["pledge_signatures"] > members / 2
    # Every figure is a sum or count of rows.
    assert publicity["pledge_forwards"] == ShareCount.objects.aggregate(n=Sum("count"))["n"]
    assert publicity["official_forwards"] == OfficialForward.objects.aggregate(n=Sum("count"))["n"]
    assert publicity["media_pushes"] == MediaPush.objects.count()
    assert publicity["pledge_signatures"] == PledgeSignature.objects.count()
    assert set(MediaPush.objects.values_list("outlet__name", flat=True)) >= {"省直机关工委", "白山发布", "白山机关党建"}
    assert services["window_departments"] == 2 and services["channels"] == 8
    assert services["cases_to_date"] == ChannelVolume.objects.aggregate(n=Sum("count"))["n"]
    assert services["help_requests"] == HelpRequest.objects.count()
    assert HelpRequest.objects.values("community").distinct().count() >= 4
    assert services["help_overdue"] >= 1
