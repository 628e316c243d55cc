"""GET /openapi.json documents every route, from the same schemas that check the requests."""
import re
import pytest
import schemathesis


def test_every_route_is_documented(app, client):
    doc = client.get("/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    # routes are grouped on /docs (one tag each, every tag declared and used), not all in "default"
    declared_tags = {tag["name"] for tag in doc["tags"]}
    used = {op["tags"][0] for ops in doc["paths"].values() for op in ops.values()}
    assert used == declared_tags and len(declared_tags) > 5
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        assert path in doc["paths"], path
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            op = doc["paths"][path][method.lower()]
            assert op["summary"] and op["responses"]
            assert len(op["tags"]) == 1 and op["tags"][0] in declared_tags, (method, path)
            for status, response in op["responses"].items():
                if int(status) >= 400:
                    assert response["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorOut")



def test_the_block_lookup_says_side_branches_are_found_by_hash(client):
    """/block/{key} finds side-branch blocks by hash too, and its summary on /docs says so."""
    summary = client.get("/openapi.json").get_json()["paths"]["/block/{key}"]["get"]["summary"]
    assert "side branch" in summary and "by hash" in summary, summary


def _body_schema(doc, path):
    ref = doc["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    return {**doc["components"]["schemas"][ref.rsplit("/", 1)[1]], "components": doc["components"]}


GOOD = {"sender": "botanist", "sepal_length": 5.1, "sepal_width": "3.50", "petal_length": 1.4, "petal_width": 0.2,
        "flower_type": "setosa"}


@pytest.mark.parametrize("change,accepted", [
    ({}, True),
    ({"deposit": 0}, True),
    ({"sepal_length": 100}, True),
    ({"sepal_length": "100.00"}, True),
    ({"sepal_length": 0}, False),
    ({"sepal_length": 100.01}, False),
    ({"sepal_length": "5.1"}, False),
    ({"sepal_length": True}, False),
    ({"sender": "MODEL"}, False),
    ({"sender": "a b"}, False),
    ({"flower_type": "Rose!"}, False),
    ({"extra": 1}, False),
    ({"deposit": -1}, False),
    ({"sepal_length": None}, False),
])
def test_the_documented_body_says_what_the_node_accepts(client, change, accepted):
    """The OpenAPI document and the node agree on each body: what the schema allows is accepted
    (201), what it forbids is refused as invalid_request (400)."""
    import jsonschema_rs  # comes with schemathesis

    doc = client.get("/openapi.json").get_json()
    body = {**GOOD, **change}
    valid = jsonschema_rs.Draft202012Validator(_body_schema(doc, "/flower/add")).is_valid(body)
    r = client.post("/flower/add", json=body)
    assert valid is accepted
    assert (r.status_code == 201) is accepted, r.get_json()
    if not accepted:
        assert r.get_json()["error"]["code"] == "invalid_request"


def test_the_document_loads_as_openapi(client):
    schema = schemathesis.openapi.from_dict(client.get("/openapi.json").get_json())
    operations = [op for op in schema.get_all_operations()]
    assert len(operations) >= 21
