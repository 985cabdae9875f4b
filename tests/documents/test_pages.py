"""The pages and the API, through HTTP: a notice drafted, signed off, issued, signed for and
replied to; an instruction recorded, answered and closed; refusals shown, not raised."""

import datetime as dt
import json

import pytest

from fangkong.documents.choices import Status
from fangkong.documents.models import Document, DocumentRecipient, Instruction, InstructionItem
from fangkong.orgs.models import Unit
from tests.conftest import login_client


@pytest.fixture
def clients(city, office, leader, liaison_a):
    Unit.objects.filter(pk=city.dept_a.pk).update(liaison=None)
    return {"office": login_client(office), "leader": login_client(leader), "liaison": login_client(liaison_a)}


def test_a_notice_goes_through_its_life_on_the_pages(city, kinds, body, clients):
    office, leader, liaison = clients["office"], clients["leader"], clients["liaison"]
    assert office.get("/documents/").status_code == 200
    r = office.post("/documents/new/", {"body": body.pk, "kind": kinds["notice"].pk, "title": "关于加强党的领导的通知",
                                        "text": "各部门：\n一、先锋表率到位", "main": [city.dept_a.pk],
                                        "reply_due": "2020-02-05"})
    assert r.status_code == 302, r.content.decode()[:2000]
    doc = Document.objects.get()
    assert office.post(f"/documents/{doc.pk}/submit/").status_code == 302
    page = leader.get(f"/documents/{doc.pk}/").content.decode()
    assert 'id="sign-off"' in page
    assert leader.post(f"/documents/{doc.pk}/sign-off/").status_code == 302
    doc.refresh_from_db()
    assert doc.status == Status.SIGNED and doc.number.endswith("〕1号")
    # Editing after sign-off: refused on the page.
    r = office.post(f"/documents/{doc.pk}/edit/", {"title": "改", "text": "改"})
    assert (r.status_code == 400 and "frozen" in r.content.decode().lower()) or "冻结" in r.content.decode()
    assert office.post(f"/documents/{doc.pk}/issue/").status_code == 302
    page = liaison.get(f"/documents/{doc.pk}/").content.decode()
    assert 'id="sign-for"' in page
    assert liaison.post(f"/documents/{doc.pk}/sign-for/", {"unit": city.dept_a.pk}).status_code == 302
    assert DocumentRecipient.objects.get(document=doc, unit=city.dept_a).signed_at is not None
    r = liaison.post(f"/documents/{doc.pk}/sign-for/", {"unit": city.dept_a.pk}, follow=True)
    assert DocumentRecipient.objects.filter(document=doc, signed_at__isnull=False).count() == 1
    assert liaison.post(f"/documents/{doc.pk}/reply/", {"unit": city.dept_a.pk, "text": "已落实"}).status_code == 302
    assert liaison.get("/documents/inbox/").status_code == 200
    for fmt in ("pdf", "docx"):
        r = liaison.get(f"/documents/{doc.pk}/file.{fmt}")
        assert r.status_code == 200 and len(r.content) > 1000
    assert liaison.get(f"/documents/{doc.pk}/file.exe").status_code == 404
    r = office.post(f"/documents/{doc.pk}/instruction/", {
        "leader_name": "王冰", "leader_position": "市委书记", "given_on": "2020-02-16", "text": "要持续抓好",
        "unit": city.dept_a.pk, "task": "持续落实六到位", "due_on": "2020-02-20"})
    assert r.status_code == 302, r.content.decode()[:3000]
    instruction = Instruction.objects.get()
    item = InstructionItem.objects.get()
    assert liaison.post(f"/documents/instructions/{instruction.pk}/answer/",
                        {"item": item.pk, "answer": "已落实"}).status_code == 302
    assert office.post(f"/documents/instructions/{instruction.pk}/close/", {"item": item.pk}).status_code == 302
    instruction.refresh_from_db()
    assert instruction.closed_at is not None
    for url in ("/documents/instructions/", "/documents/instructions/items/", f"/documents/instructions/{instruction.pk}/",
                "/documents/kinds/", "/documents/reports/new/", f"/documents/kinds/{kinds['notice'].pk}/"):
        assert office.get(url).status_code == 200, url


def test_the_api_drafts_signs_off_issues_and_refuses_what_it_must(city, kinds, body, office, leader, liaison_a):
    from fangkong.accounts.services import token_create

    def token(user):
        return token_create(actor=user, user=user, name="t")

    from django.test import Client

    c = Client()

    def call(method, user_token, path, data=None):
        return getattr(c, method)(f"/api/v1/documents{path}", data=data, content_type="application/json",
                                  HTTP_AUTHORIZATION=f"Bearer {user_token}")

    o, lead, li = token(office), token(leader), token(liaison_a)
    r = call("post", o, "/documents", {"body_id": body.pk, "kind": "notice", "title": "通知", "text": "正文"})
    assert r.status_code == 201, r.content
    doc_id = r.json()["id"]
    assert r.json()["number"] is None
    r = call("post", lead, f"/documents/{doc_id}/sign-off")
    assert r.status_code == 400 and "主送" in json.dumps(r.json(), ensure_ascii=False)
    assert call("patch", o, f"/documents/{doc_id}", {"main_unit_ids": [city.dept_a.pk]}).status_code == 200
    r = call("post", lead, f"/documents/{doc_id}/sign-off")
    assert r.status_code == 200 and r.json()["number"]
    assert call("patch", o, f"/documents/{doc_id}", {"text": "改"}).status_code in (400, 422)
    assert call("post", o, f"/documents/{doc_id}/issue").status_code == 200
    receipts = call("get", li, "/receipts").json()
    assert receipts["count"] == 1
    rid = receipts["results"][0]["id"]
    assert call("post", li, f"/receipts/{rid}/sign").status_code == 200
    assert call("post", li, f"/receipts/{rid}/sign").status_code in (400, 422)
    r = call("post", o, "/instructions", {"document_id": doc_id, "leader_name": "王", "leader_position": "市长",
                                          "given_on": "2020-02-12", "text": "批示",
                                          "items": [{"unit_id": city.dept_a.pk, "task": "办", "due_on": "2020-02-14"}]})
    assert r.status_code == 201, r.content
    assert call("get", li, "/items?overdue_on=2020-02-15").json()["count"] == 1
    assert call("get", o, "/instructions?open_on=2020-02-15").json()["count"] == 1
    assert dt.date


def test_an_attachment_is_uploaded_with_the_draft_and_a_program_is_refused(city, kinds, body, clients, settings,
                                                                           tmp_path):
    settings.MEDIA_ROOT = tmp_path
    from django.core.files.uploadedfile import SimpleUploadedFile

    from fangkong.documents.models import Attachment

    office = clients["office"]
    data = {"body": body.pk, "kind": kinds["notice"].pk, "title": "附件通知", "text": "正文", "main": [city.dept_a.pk]}
    r = office.post("/documents/new/", {**data, "attachment": SimpleUploadedFile("登记表.exe", b"MZ")})
    assert r.status_code == 400 and not Document.objects.exists()
    r = office.post("/documents/new/", {**data, "attachment": SimpleUploadedFile("登记表.pdf", b"%PDF-1.4")})
    assert r.status_code == 302
    attachment = Attachment.objects.get()
    doc = attachment.document
    r = office.get(f"/documents/{doc.pk}/attachments/{attachment.pk}/")
    assert r.status_code == 200 and b"".join(r.streaming_content) == b"%PDF-1.4"
    assert clients["liaison"].get(f"/documents/{doc.pk}/attachments/{attachment.pk}/").status_code == 404
