"""The JSON API: tokens, errors, pagination and agreement with the committed OpenAPI document."""

import json
from pathlib import Path

from django.core.management import call_command

from fangkong.accounts.models import ApiToken
from fangkong.accounts.services import token_create
from fangkong.core.actors import SYSTEM
from fangkong.core.management.commands.openapi import current_schema

from . import factories as f

OPENAPI = json.loads((Path(__file__).resolve().parent.parent / "openapi.json").read_text(encoding="utf-8"))


def bearer(token):
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def conforms(payload, schema_name):
    """Check a payload's keys and types against a schema of the committed document."""
    schema = OPENAPI["components"]["schemas"][schema_name]
    types = {"integer": int, "string": str, "boolean": bool, "array": list, "object": dict}
    for key in schema.get("required", []):
        assert key in payload, (schema_name, key)
    for key, spec in schema["properties"].items():
        value = payload[key]
        if "$ref" in spec:
            conforms(value, spec["$ref"].rsplit("/", 1)[1])
        elif "anyOf" in spec:
            allowed = tuple(types[s["type"]] for s in spec["anyOf"] if s.get("type") in types)
            assert value is None or isinstance(value, allowed), (schema_name, key, value)
        elif spec.get("type") in types:
            assert isinstance(value, types[spec["type"]]), (schema_name, key, value)
            if spec["type"] == "array" and "$ref" in spec.get("items", {}):
                for item in value:
                    conforms(item, spec["items"]["$ref"].rsplit("/", 1)[1])
    assert set(payload) == set(schema["properties"]), schema_name


def test_it_stores_only_a_hash_of_the_token(city, capsys):
    user = f.user("committee_office", city.root, username="apiuser")
    call_command("create_token", "apiuser")
    token = capsys.readouterr().out.strip().split()[-1]
    stored = ApiToken.objects.get(user=user)
    assert token not in (stored.key_hash, stored.prefix) and stored.key_hash == ApiToken.hash_key(token)


def test_it_refuses_missing_and_wrong_tokens_with_json(city, client):
    for headers in ({}, bearer("fk_wrong"), {"HTTP_AUTHORIZATION": "Basic abc"}):
        response = client.get("/api/v1/people", **headers)
        assert response.status_code == 401
        assert "Authorization: Bearer" in response.json()["detail"]  # zh-hans by default


def test_it_refuses_tokens_of_deactivated_users(city, client):
    user = f.user("committee_office", city.root)
    token = token_create(user=user, actor=SYSTEM)
    user.is_active = False
    user.save()
    assert client.get("/api/v1/people", **bearer(token)).status_code == 401


def test_it_lists_people_and_units_as_documented(city, client):
    token = token_create(user=f.user("committee_office", city.root), actor=SYSTEM)
    people = client.get("/api/v1/people?page_size=2", **bearer(token)).json()
    conforms(people, "PersonPage")
    assert people["count"] == 5 and len(people["results"]) == 2
    second = client.get("/api/v1/people?page_size=2&page=2", **bearer(token)).json()
    assert {r["id"] for r in people["results"]}.isdisjoint({r["id"] for r in second["results"]})
    units = client.get(f"/api/v1/units?under={city.street.pk}", **bearer(token)).json()
    conforms(units, "UnitPage")
    assert {u["name"] for u in units["results"]} == {"东兴街道", "红旗社区", "光明社区", "江北路卡点"}
    one = client.get(f"/api/v1/people/{city.alice.pk}", **bearer(token)).json()
    conforms(one, "PersonOut")
    assert one["id_number"] == city.alice.masked_id_number


def test_it_creates_and_validates_people_with_clear_errors(city, client):
    token = token_create(user=f.user("unit_liaison", city.dept_a), actor=SYSTEM)
    good = {"name": "接口新人", "id_number": f.id_number(), "unit_id": city.dept_a.pk, "phone": "+86 139 0000 1111"}
    response = client.post("/api/v1/people", good, content_type="application/json", **bearer(token))
    assert response.status_code == 201 and response.json()["phone"] == "139****1111"
    bad = {**good, "id_number": "110105194912310021", "name": "另一人"}
    response = client.post("/api/v1/people", bad, content_type="application/json", **bearer(token))
    assert response.status_code == 400 and "id_number" in response.json()["detail"]
    outside = {**good, "id_number": f.id_number(), "unit_id": city.dept_b.pk}
    assert client.post("/api/v1/people", outside, content_type="application/json", **bearer(token)).status_code == 404
    broken = client.post("/api/v1/people", "{not json", content_type="application/json", **bearer(token))
    assert broken.status_code in (400, 422) and "detail" in broken.json()


def test_it_deletes_through_the_api(city, client):
    token = token_create(user=f.user("committee_office", city.root), actor=SYSTEM)
    assert client.delete(f"/api/v1/people/{city.bob.pk}", **bearer(token)).status_code == 204
    assert client.get(f"/api/v1/people/{city.bob.pk}", **bearer(token)).status_code == 404


def test_it_serves_the_committed_openapi_document(db, client):
    served = client.get("/api/v1/openapi.json")
    assert served.status_code == 200
    assert json.loads(current_schema()) == OPENAPI
    assert "/api/v1/people" in served.json()["paths"]
