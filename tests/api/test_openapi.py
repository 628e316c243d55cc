"""GET /openapi.json documents every route, from the same schemas that check the requests."""
import schemathesis

from api.schemas import FlowerIn, PredictIn, RegisterNodesIn, TransferIn


def test_every_route_is_documented(app, client):
    doc = client.get("/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        path = rule.rule.replace("<path:", "<").replace("<", "{").replace(">", "}")
        assert path in doc["paths"], path
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            op = doc["paths"][path][method.lower()]
            assert op["summary"] and op["responses"]
            for status, response in op["responses"].items():
                if int(status) >= 400:
                    assert response["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorOut")


def test_request_bodies_are_the_validating_schemas(client):
    doc = client.get("/openapi.json").get_json()
    schemas = doc["components"]["schemas"]
    for path, model in (("/flower/add", FlowerIn), ("/flower/predict", PredictIn),
                        ("/transactions/new", TransferIn), ("/nodes/register", RegisterNodesIn)):
        ref = doc["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        name = ref.rsplit("/", 1)[1]
        assert name == model.__name__
        generated = model.model_json_schema(ref_template="#/components/schemas/{model}")
        generated.pop("$defs", None)
        assert schemas[name] == generated
    flower = schemas["FlowerIn"]
    assert flower["additionalProperties"] is False
    number, string = flower["properties"]["sepal_length"]["oneOf"]
    assert (number["exclusiveMinimum"], number["maximum"], number["multipleOf"]) == (0, 100, 0.01)
    assert string["pattern"] == r"^(0|[1-9][0-9]{0,2})\.[0-9]{2}$"
    assert flower["properties"]["sender"]["not"] == {"enum": ["0", "MODEL"]}


def test_the_document_loads_as_openapi(client):
    schema = schemathesis.openapi.from_dict(client.get("/openapi.json").get_json())
    operations = [op for op in schema.get_all_operations()]
    assert len(operations) >= 21
