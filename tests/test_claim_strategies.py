"""The claim-rule attack experiment (``python -m experiments.poisoning --strategies --quick``) through
real node processes: every run's chain is valid, the results and the figure are written, and under
the draft protocol 3 the planting, duplicating and front-running attackers lose what they staked
and the honest agents lose nothing, while under protocol 2 the planter does not lose."""
import json

import matplotlib.image as mpimg
import pytest

from experiments.poisoning import main

pytestmark = pytest.mark.network


def test_the_strategies_experiment_old_rule_against_new(tmp_path):
    assert main(["--strategies", "--quick", "--out", str(tmp_path)]) == 0
    results = json.loads((tmp_path / "claim_attacks_results.json").read_text())
    image = mpimg.imread(tmp_path / results["figure"])
    assert image.shape[0] > 200 and image.std() > 0.01
    assert all(r["valid"] for r in results["runs"])
    table = results["summary"]
    assert {row["strategy"] for row in table.values()} == {"none", "flipper", "planter", "duplicator", "front-runner",
                                                          "sybil", "long-con"}
    for strategy in ("planter", "duplicator", "front-runner"):
        assert table[f"v3 {strategy}"]["attacker_pct_worst"] < 10, strategy
        assert table[f"v3 {strategy}"]["honest_pct_worst"] >= 100, strategy
    assert table["v2 planter"]["attacker_pct_mean"] > table["v3 planter"]["attacker_pct_mean"]
