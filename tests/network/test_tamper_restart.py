"""Issue 20 item 2: bytes edited in the data file while the node runs are never vouched for by
the snapshot it writes when it stops, so the next start checks them and refuses them."""
import json
import sqlite3

import pytest

pytestmark = pytest.mark.network

FLOWER = {"sender": "botanist", "sepal_length": 6.1, "sepal_width": 2.8, "petal_length": 4.7,
          "petal_width": 1.2, "flower_type": "versicolor"}


def test_an_edit_made_while_the_node_runs_does_not_survive_a_clean_restart(start_node):
    node = start_node("a", difficulty=2)
    assert node.post("/flower/add", json=FLOWER).status_code == 201
    assert node.post("/mine").status_code == 200
    assert node.post("/mine").status_code == 200
    db = sqlite3.connect(node.data_dir / "chain.sqlite3", timeout=30)
    body = json.loads(db.execute("SELECT body FROM blocks WHERE idx = 1").fetchone()[0])
    flower = next(t for t in body["transactions"] if t["type"] == "FLOWER_DATA")
    flower["data"]["flower_type"] = "setosa"
    db.execute("UPDATE blocks SET body = ? WHERE idx = 1", (json.dumps(body, separators=(",", ":")),))
    db.commit()
    db.close()
    assert node.get("/chain/validate").json()["valid"] is False
    node.stop()  # SIGTERM: the node writes its snapshot as it stops
    assert node.proc.returncode is not None
    with pytest.raises(RuntimeError, match="exited"):
        node.start(timeout=60)
    log = node.log()
    assert "refusing to start" in log and "block 1" in log
    assert "the stored blocks match the snapshot" not in log
