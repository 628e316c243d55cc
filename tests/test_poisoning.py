"""The poisoning experiment end to end at its quick size, through real node processes: files
written, figures readable, and every number the chains' own (each exported chain verifies, and
replaying it gives the balances the experiment reports)."""
import json

import matplotlib.image as mpimg
import pytest

from blockchain import audit_chain
from blockchain.verify import main as verify_main
from experiments.poisoning import main
from ml import IrisModel

pytestmark = pytest.mark.network


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("poisoning")
    assert main(["--quick", "--out", str(out)]) == 0
    return out, json.loads((out / "poisoning_results.json").read_text())


def test_figures_and_results_are_written(run):
    out, results = run
    for name in results["figures"]:
        image = mpimg.imread(out / name)
        assert image.shape[0] > 200 and image.shape[1] > 300 and image.std() > 0.01
    assert set(results["summary"]) == {"no attack", "attack, no deposits", "attack, deposits"}
    assert results["parameters"]["min_deposit"] >= 1 and results["parameters"]["refund_wait"] >= 1


def test_every_run_is_a_valid_chain_with_the_reported_balances(run, capsys):
    out, results = run
    for r in results["runs"]:
        path = out / r["chain_file"]
        assert verify_main([str(path)]) == 0, capsys.readouterr().out
        chain = json.loads(path.read_text())["chain"]
        replay = audit_chain(chain, IrisModel())
        assert replay.valid and r["validate"] is True
        assert {name: replay.state.balance(name) for name in r["balances"]} == r["balances"]
        params = chain[0]["transactions"][0]["params"]
        assert params["min_deposit"] == (results["parameters"]["min_deposit"] if r["deposits"] else 0)
        updates = [t["data"] for b in chain for t in b["transactions"] if t["type"] == "MODEL_UPDATE"]
        assert r["final_accuracy"] == updates[-1]["test_correct"] / updates[-1]["test_rows"]


def test_without_deposits_nobody_pays_and_with_them_the_attacker_does(run):
    _, results = run
    free = next(r for r in results["runs"] if r["attack"] and not r["deposits"])
    staked = next(r for r in results["runs"] if r["attack"] and r["deposits"])
    assert set(free["balance_pct"].values()) == {100.0}
    assert staked["balances"]["attacker-0"] < free["balances"]["attacker-0"]
    assert staked["totals"]["report"] > 0 and staked["totals"]["refund"] > 0
