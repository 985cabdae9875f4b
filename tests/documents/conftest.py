import datetime as dt

import pytest
from django.utils import timezone

from fangkong.core.actors import SYSTEM
from fangkong.documents import services
from fangkong.documents.models import DocumentKind, IssuingBody
from tests import factories as f


def at(day: dt.date, hour: int = 9, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=timezone.get_current_timezone())


@pytest.fixture(autouse=True)
def english():
    """Service refusals are matched by their English text (the pages speak Chinese)."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def kinds(db):
    return {
        "notice": DocumentKind.objects.create(code="notice", name="通知", number_word="发"),
        "letter": DocumentKind.objects.create(code="letter", name="函", number_word="函"),
        "report": DocumentKind.objects.create(code="report", name="情况报告", direction="up", series=True,
                                               number_word="报"),
    }


@pytest.fixture
def body(city):
    return IssuingBody.objects.create(unit=city.committee, name="中共白岭市直属机关工作委员会", prefix="白岭直党工")


@pytest.fixture
def office(city):
    return f.user("committee_office", city.committee)


@pytest.fixture
def leader(city):
    return f.user("leader", city.committee)


@pytest.fixture
def liaison_a(city):
    return f.user("unit_liaison", city.dept_a)


@pytest.fixture
def notice(city, kinds, body, office):
    return services.document_draft(
        actor=office, body=body, kind=kinds["notice"], title="关于进一步做好节后返程人员排查工作的紧急通知",
        text="各部门：\n一、严格全面排查\n请于2月5日前报送。", main=[city.dept_a, city.dept_b], copy=[city.street],
        reply_due=dt.date(2020, 2, 5), reply_asked="返程人员排查表",
    )


def sign_and_issue(document, office, leader):
    services.document_submit(actor=office, document=document)
    services.document_sign_off(actor=leader, document=document)
    return services.document_issue(actor=office, document=document)


__all__ = ["SYSTEM", "at", "sign_and_issue"]
