"""The pages Django renders itself keep to the Content-Security-Policy."""

import re

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_it_answers_a_csrf_failure_with_a_page_that_has_no_inline_code(admin_user):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": "x", "password": "y"})
    assert response.status_code == 403
    body = response.content.decode()
    assert "页面已失效" in body
    assert "<style" not in body
    assert re.search(r"<script(?![^>]*\bsrc=)", body) is None


def test_it_serves_the_api_docs_from_local_files_without_inline_scripts():
    response = Client().get("/api/v1/docs")
    assert response.status_code == 200
    body = response.content.decode()
    assert "cdn.jsdelivr" not in body and "swagger-ui-bundle.js" in body
    # Only the JSON settings block, which the browser never runs.
    for tag in re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", body):
        assert 'type="application/json"' in tag
