"""The API: submit and zero report idempotent per unit and day, board and range figures, scope."""

import datetime as dt

from django.utils import timezone

from fangkong.accounts.services import token_create
from fangkong.core.actors import SYSTEM
from fangkong.reports.models import Report, ReportRevision


def bearer(user):
    return {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=user, actor=SYSTEM)}"}


def post(client, url, auth, data):
    return client.post(url, data, content_type="application/json", **auth)


def test_it_sends_the_zero_report_idempotently(city, client, today_tmpl, liaison):
    auth = bearer(liaison)
    body = {"template": "today", "unit": city.dept_a.pk}
    first = post(client, "/api/v1/reports/zero", auth, body)
    again = post(client, "/api/v1/reports/zero", auth, body)
    assert first.status_code == 200 and again.status_code == 200, first.content
    assert first.json()["id"] == again.json()["id"] and first.json()["is_zero"] is True
    assert first.json()["day"] == timezone.localdate().isoformat()
    assert Report.objects.count() == 1 and ReportRevision.objects.count() == 1


def test_it_submits_updates_and_shows_the_revisions(city, client, today_tmpl, liaison):
    auth = bearer(liaison)
    body = {"template": today_tmpl.pk, "unit": city.dept_a.pk, "values": {"returnees_new": 2, "in_isolation": 1}}
    assert post(client, "/api/v1/reports/submit", auth, body).status_code == 200
    body["values"]["returnees_new"] = 3
    report = post(client, "/api/v1/reports/submit", auth, body).json()
    assert report["revision_count"] == 2 and report["values"]["returnees_new"] == 3
    detail = client.get(f"/api/v1/reports/{report['id']}", **auth).json()
    assert [r["values"]["returnees_new"] for r in detail["revisions"]] == [2, 3]
    assert [f["key"] for f in detail["fields"]][:2] == ["returnees_new", "in_isolation"]


def test_it_answers_bad_input_clearly(city, client, today_tmpl, liaison):
    auth = bearer(liaison)
    # Another unit is outside the liaison's scope: as everywhere in the API, it does not exist for them.
    other = post(client, "/api/v1/reports/zero", auth, {"template": "today", "unit": city.dept_b.pk})
    assert other.status_code == 404
    future = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    assert post(client, "/api/v1/reports/zero", auth,
                {"template": "today", "unit": city.dept_a.pk, "day": future}).status_code == 400
    bad = post(client, "/api/v1/reports/submit", auth,
               {"template": "today", "unit": city.dept_a.pk, "values": {"returnees_new": -3, "in_isolation": 1}})
    assert bad.status_code == 400 and "returnees_new" in bad.json()["detail"]
    locked = post(client, "/api/v1/reports/zero", auth,
                  {"template": "today", "unit": city.dept_a.pk,
                   "day": (timezone.localdate() - dt.timedelta(days=5)).isoformat()})
    assert locked.status_code == 400 and "day" in locked.json()["detail"]
    assert not Report.objects.exists()


def test_it_gives_board_and_range_figures_in_scope(city, client, today_tmpl, liaison, office):
    post(client, "/api/v1/reports/zero", bearer(liaison), {"template": "today", "unit": city.dept_a.pk})
    board = client.get(f"/api/v1/reports/board?template=today&day={timezone.localdate()}", **bearer(office)).json()
    assert board["figures"]["expected"] == 3 and board["figures"]["submitted"] == 1 and board["figures"]["zero"] == 1
    assert board["units_total"] == 3 and board["children_total"] == len(board["children"])
    states = {u["unit_id"]: u["state"] for u in board["units"]}
    assert states[city.dept_a.pk] == "zero" and states[city.dept_b.pk] in {"pending", "late_pending"}
    mine = client.get("/api/v1/reports/figures?template=today", **bearer(liaison)).json()
    assert mine["expected"] == 1 and mine["completeness"] == 1.0
    outside = client.get(f"/api/v1/reports/board?template=today&unit={city.dept_b.pk}", **bearer(liaison))
    assert outside.status_code == 404
    assert client.get("/api/v1/reports/templates", **bearer(liaison)).json()[0]["fields"]
