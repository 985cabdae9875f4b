"""Formal reports from the records: the template names figures of the command picture, checked
when it is saved; the report stores its as-of moment and each figure with its links; when the
records change afterwards the page shows 数据已变化 with old and new, and the text stays."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from fangkong.core import clock
from fangkong.core.actors import SYSTEM
from fangkong.documents import services
from fangkong.documents.models import DocumentKind
from fangkong.returnees import services as returnee_services
from tests import factories as f

from .conftest import at

TEMPLATE = ("截至{as_of}，{organs.units_with_returnees}个部门共有输入人员{organs.returnees}人，"
            "“双报制”{organs.dual_report_rate}。")
GOOD = TEMPLATE.replace("{as_of}", "2月10日")


def _kind(office, template=GOOD):
    kind = DocumentKind(code="report", name="情况报告", direction="up", series=True, number_word="报",
                        template=template)
    return services.kind_save(actor=office, kind=kind)


def _returnee(city, day):
    liaison = f.user("unit_liaison", city.dept_a)
    return returnee_services.register(
        actor=liaison, side="unit", id_number=f.id_number(), unit=city.dept_a, community=city.comm_1,
        name="王返程", category="outside", return_date=day, registered_at=at(day, 10))


def test_a_placeholder_that_names_no_figure_is_refused_when_the_template_is_saved(city, office):
    with pytest.raises(ValidationError, match="name no figure"):
        _kind(office, GOOD + "{organs.nonsense}")
    with pytest.raises(ValidationError, match="name no figure"):
        _kind(office, TEMPLATE)  # {as_of} is no figure either
    assert not DocumentKind.objects.exists()


def test_a_report_as_of_a_future_moment_is_refused(city, office, body):
    kind = _kind(office)
    with pytest.raises(ValidationError, match="still to come"):
        services.report_generate(actor=office, body=body, kind=kind, title="报告",
                                 as_of=clock.now() + dt.timedelta(hours=1))


def test_the_report_keeps_its_figures_and_shows_when_the_records_changed(city, office, body, leader):
    _returnee(city, dt.date(2020, 2, 3))
    kind = _kind(office)
    as_of = at(dt.date(2020, 2, 11), 0)
    report = services.report_generate(actor=office, body=body, kind=kind, title="关于节后返程输入人员上报情况报告",
                                      as_of=as_of)
    assert "共有输入人员1人" in report.text
    stored = {fig["key"]: fig for fig in report.figures}
    assert stored["organs.returnees"]["value"] == 1
    assert stored["organs.returnees"]["api_url"].startswith("/api/v1/")
    assert services.figure_changes(report) == []
    services.document_sign_off(actor=leader, document=report)
    # A registration dated before the as-of moment, entered later: the records now say 2.
    _returnee(city, dt.date(2020, 2, 5))
    changes = {c["key"]: c for c in services.figure_changes(report)}
    assert changes["organs.returnees"]["old"] == "1" and changes["organs.returnees"]["new"] == "2"
    report.refresh_from_db()
    assert "共有输入人员1人" in report.text
    assert SYSTEM
