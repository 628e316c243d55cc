"""The committed Postman collection is what scripts/build_postman_collection.py makes."""
import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _builder():
    spec = importlib.util.spec_from_file_location("build_postman", ROOT / "scripts" / "build_postman_collection.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_collection_is_up_to_date():
    committed = (ROOT / "postman_collection.json").read_text(encoding="utf-8")
    assert committed == _builder().render(), "run scripts/build_postman_collection.py"


def test_every_request_has_tests_and_uses_base_url():
    data = json.loads((ROOT / "postman_collection.json").read_text(encoding="utf-8"))
    assert data["info"]["schema"].endswith("v2.1.0/collection.json")
    items = [i for folder in data["item"] for i in folder["item"]]
    for item in items:
        assert item["request"]["url"]["raw"].startswith(("{{baseUrl}}", "{{peerUrl}}"))
        tests = [e for e in item["event"] if e["listen"] == "test"]
        assert tests and any("pm.test" in line for line in tests[0]["script"]["exec"])
    paths = {"/" + "/".join(i["request"]["url"]["path"]) for i in items}
    for route in ("/health", "/mine", "/transactions/new", "/transactions/pending", "/chain", "/chain/validate",
                  "/flower/add", "/flower/predict", "/model/info", "/model/evaluate", "/model/history",
                  "/nodes", "/nodes/register", "/nodes/resolve", "/blocks", "/transactions", "/flower/refund",
                  "/contributions", "/jobs", "/artifacts", "/artifacts/fetch"):
        assert route in paths


def test_the_network_folder_skips_without_a_second_node():
    data = json.loads((ROOT / "postman_collection.json").read_text(encoding="utf-8"))
    assert {v["key"]: v["value"] for v in data["variable"]}["peerUrl"] == ""
    network = next(folder for folder in data["item"] if folder["name"].startswith("Network"))
    for item in network["item"]:
        pre = next(e for e in item["event"] if e["listen"] == "prerequest")["script"]["exec"]
        assert any("pm.execution.skipRequest()" in line for line in pre) and any("set peerUrl" in line for line in pre)
