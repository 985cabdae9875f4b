"""Numbers are taken at sign-off, never at draft, per issuing body, kind and year, unique and
gapless even when sign-offs race; the text freezes at sign-off; a withdrawn document keeps its
number."""

import datetime as dt
import os
import subprocess
import sys
import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, connections

from fangkong.core.actors import SYSTEM
from fangkong.documents import services
from fangkong.documents.choices import Status
from fangkong.documents.models import Document, DocumentVersion, format_number


def test_it_formats_numbers_as_the_standard_does():
    assert format_number("白岭直党工发", 2020, 1) == "白岭直党工发〔2020〕1号"
    assert format_number("白岭直党工函", 2020, 12) == "白岭直党工函〔2020〕12号"


def test_a_draft_has_no_number_and_sign_off_gives_one(notice, office, leader):
    assert notice.number is None and notice.status == Status.DRAFT
    services.document_submit(actor=office, document=notice)
    signed = services.document_sign_off(actor=leader, document=notice)
    assert signed.number == f"白岭直党工发〔{signed.signed_at.year}〕1号"
    assert signed.status == Status.SIGNED and signed.signed_by == leader
    assert DocumentVersion.objects.get(document=signed).text == signed.text


def test_numbers_count_per_kind_and_the_series_keeps_its_ordinal(city, kinds, body, office, leader):
    def make(kind, title="标题"):
        d = services.document_draft(actor=office, body=body, kind=kinds[kind], title=title, text="正文",
                                    main=[city.dept_a])
        return services.document_sign_off(actor=leader, document=d)

    assert make("notice").sequence == 1
    assert make("letter").number.startswith("白岭直党工函〔")
    assert make("notice").sequence == 2
    first = make("report", "关于节后返程输入人员上报情况报告")
    second = make("report", "关于节后返程输入人员上报情况报告")
    assert (first.series_ordinal, second.series_ordinal) == (1, 2)
    assert second.display_title.endswith("（二）")


def test_only_a_leader_signs_off(notice, office):
    with pytest.raises(PermissionDenied):
        services.document_sign_off(actor=office, document=notice)


def test_a_notice_with_no_recipients_is_not_signed_off(city, kinds, body, office, leader):
    d = services.document_draft(actor=office, body=body, kind=kinds["notice"], title="无主送", text="正文")
    with pytest.raises(ValidationError, match="recipients"):
        services.document_sign_off(actor=leader, document=d)
    d.refresh_from_db()
    assert d.number is None and d.status == Status.DRAFT


def test_editing_after_sign_off_is_refused_and_a_new_version_keeps_the_old_text(notice, office, leader):
    services.document_sign_off(actor=leader, document=notice)
    with pytest.raises(ValidationError, match="frozen"):
        services.document_update(actor=office, document=notice, text="改过的正文")
    with pytest.raises(ValidationError):
        services.document_new_version(actor=office, document=notice, title=notice.title, text="新", reason="")
    v2 = services.document_new_version(actor=office, document=notice, title=notice.title, text="新正文",
                                       reason="更正报送时间")
    assert v2.version == 2 and v2.status == Status.REVIEW
    number = v2.number
    again = services.document_sign_off(actor=leader, document=v2)
    assert again.number == number
    texts = list(DocumentVersion.objects.filter(document=notice).values_list("version", "text", "reason"))
    assert texts[0][1].startswith("各部门") and texts[0][2] == "更正报送时间"
    assert texts[1][:2] == (2, "新正文")


def test_a_withdrawn_document_keeps_its_number(notice, leader, office):
    signed = services.document_sign_off(actor=leader, document=notice)
    withdrawn = services.document_withdraw(actor=office, document=signed, reason="内容有误")
    assert withdrawn.status == Status.WITHDRAWN and withdrawn.number == signed.number
    with pytest.raises(ValidationError):
        services.document_withdraw(actor=office, document=withdrawn, reason="再次")


def test_a_leader_outside_the_scope_cannot_sign_off(city, notice):
    from tests import factories as f

    other = f.user("leader", city.dept_b)
    with pytest.raises(PermissionDenied):
        services.document_sign_off(actor=other, document=notice)


def _in_memory_sqlite() -> bool:
    return connection.vendor == "sqlite" and "memory" in str(connection.settings_dict["NAME"])


@pytest.mark.django_db(transaction=True)
def test_twenty_sign_offs_at_once_take_twenty_different_numbers_without_gaps(city, kinds, body, tmp_path):
    if _in_memory_sqlite():
        # Threads on the shared-cache in-memory test database meet table locks that ignore the busy
        # timeout; the race is run on a database file, as the platform runs (WAL, IMMEDIATE).
        env = {**os.environ, "FANGKONG_TEST_SQLITE": str(tmp_path / "race.sqlite3")}
        node = f"{__file__}::test_twenty_sign_offs_at_once_take_twenty_different_numbers_without_gaps"
        done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider",
                               node], env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stdout[-3000:]
        assert "1 passed" in done.stdout
        return
    drafts = [services.document_draft(actor=SYSTEM, body=body, kind=kinds["notice"], title=f"通知{i}", text="正文",
                                      main=[city.dept_a]) for i in range(20)]
    barrier = threading.Barrier(20)
    errors: list[BaseException] = []

    def sign(document):
        try:
            barrier.wait(timeout=10)
            services.document_sign_off(actor=SYSTEM, document=document, at=dt.datetime(
                2020, 2, 3, 9, tzinfo=dt.timezone(dt.timedelta(hours=8))))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sign, args=(d,)) for d in drafts]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    numbers = sorted(Document.objects.values_list("sequence", flat=True))
    assert numbers == list(range(1, 21))
    assert Document.objects.filter(number="白岭直党工发〔2020〕20号").exists()
