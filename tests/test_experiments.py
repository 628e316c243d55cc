"""The quick reproduction end to end: files written, figures readable, and every number in
results.json the node's own (the exported chains replay to exactly those accuracies)."""
import json

import matplotlib.image as mpimg
import pytest

from blockchain import audit_chain
from experiments.reproduce import main
from ml import BaseData, IrisModel


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("experiments")
    assert main(["--quick", "--out", str(out)]) == 0
    return out, json.loads((out / "results.json").read_text())


def test_files_are_written_and_the_figures_readable(run):
    out, _ = run
    for name in ("fig4_model_growth.png", "fig5_drift.png", "fig6_confusion.png"):
        image = mpimg.imread(out / name)
        assert image.shape[0] > 200 and image.shape[1] > 300 and image.std() > 0.01  # a picture, not a blank


@pytest.mark.parametrize("name", ["synthetic", "iris"])
def test_growth_numbers_are_the_chains_own(run, name):
    out, results = run
    growth = results["growth"][name]
    chain = json.loads((out / growth["chain_file"]).read_text())["chain"]
    base = BaseData.from_file(out / growth["base_file"])
    replay = audit_chain(chain, IrisModel(base=base))
    assert replay.valid, [str(i) for i in replay.issues]
    assert chain[0]["difficulty"] == results["parameters"]["difficulty"]
    updates = [t["data"] for b in chain for t in b["transactions"] if t["type"] == "MODEL_UPDATE"]
    assert [u["test_correct"] / u["test_rows"] for u in updates] == growth["accuracy"]
    assert [u["data_points_trained"] for u in updates] == growth["points"] == list(range(30, 121, 10))
    assert [h["accuracy"] for h in growth["history"]] == growth["accuracy"]
    assert growth["tip_hash"] == chain[-1]["hash"] and growth["chain_length"] == len(chain)
    assert replay.model.accuracy == growth["accuracy"][-1]
    assert set(growth["confusion"]) == {"30", "60", "120"}
    for cm in growth["confusion"].values():
        assert sum(map(sum, cm["matrix"])) == len(base.test)


def test_drift_results_and_parameters_are_recorded(run):
    _, results = run
    params = results["parameters"]
    assert params["seeds"] and params["make_classification"]["class_sep"] and "drift" in params
    mean = {row["drift"]: row for row in results["drift"]["mean"]}
    assert set(mean) == set(params["drifts"])
    assert mean[0.0]["drift_flagged_in"] == 0 or mean[0.0]["max_ks"] < mean[8.0]["max_ks"]
    assert mean[8.0]["drift_flagged_in"] == mean[8.0]["runs"]  # a large shift is always flagged
    assert mean[2.0]["accuracy"] < mean[0.0]["accuracy"] or mean[0.5]["accuracy"] < mean[0.0]["accuracy"]
