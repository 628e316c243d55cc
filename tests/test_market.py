"""``python -m experiments.market --quick``: one seed on a real protocol-3 node. The outcomes are
read back from what the run wrote (which it read from the node's API) and checked against the
protocol's rules: who won, who was paid, whose stake was burnt (the silent worker's, and the
copycat's: its copied commitment binds the rival, so its replayed reveal is refused)."""
import json
import subprocess
import sys

from tests.helpers.nodes import ROOT


def test_the_quick_market_run(tmp_path):
    done = subprocess.run([sys.executable, "-m", "experiments.market", "--quick", "--out", str(tmp_path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    results = json.loads((tmp_path / "market_results.json").read_text())
    p = results["parameters"]
    (run,) = results["runs"]
    assert run["valid"] is True
    assert (tmp_path / "market_balances.png").stat().st_size > 0 and (tmp_path / "market_table.md").exists()
    jobs = {(j["dataset"], j["job"]): j for j in run["jobs"]}
    assert len(jobs) == 10 and all(j["state"] == "settled" for j in jobs.values())
    for dataset in ("flowers", "digits"):
        for kind in ("linear", "tree", "knn"):
            j = jobs[(dataset, kind)]
            assert j["winner"] == kind, j                                   # the honest worker wins
            assert "silent" in j["committed"] and "silent" not in j["revealed"]
            assert "silent" not in j["payouts"]                             # its stake is burnt
            assert j["scores"]["lazy"] < j["scores"][kind]
            # the copycat's copied commitment binds the rival: it can never open it, so its stake is burnt
            assert "copycat" in j["committed"] and "copycat" not in j["revealed"]
            assert j["scores"]["copycat"] is None and "copycat" not in j["payouts"]
            assert j["payouts"][kind] == p["stake"] + p["bounty"]
        withheld = jobs[(dataset, "withheld")]
        assert withheld["outcome"] == "withheld" and withheld["revealed"] == []
        assert sum(withheld["payouts"].values()) == p["bounty"] + 2 * p["stake"]
        dealt = jobs[(dataset, "self-dealt")]
        assert dealt["winner"] == "sybil" and dealt["scores"]["sybil"] == dealt["test_rows"]
    assert jobs[("flowers", "self-dealt")]["winner_rows_in_test_set"] == jobs[("flowers", "self-dealt")]["test_rows"]
    b, start = run["balances"], p["start_balance"]
    assert b["silent"] == start - 6 * p["stake"]
    assert b["copycat"] == start - 6 * p["stake"]
    replays = [e for e in run["events"] if e["role"] == "copycat" and e["step"] == "replay the rival's reveal"]
    assert len(replays) == 6 and all(not e["accepted"] and e["status"] == 400 and e["code"] == "commitment_mismatch"
                                     and "binds its worker" in e["message"] for e in replays), replays
    assert results["summary"]["copycat_replays_accepted"] == 0
    assert b["requester"] == start - 6 * p["bounty"]
    assert b["self-dealer"] + b["sybil"] == 2 * start                      # self-dealing costs it nothing
    assert all(b[k] > start for k in ("linear", "tree", "knn"))
