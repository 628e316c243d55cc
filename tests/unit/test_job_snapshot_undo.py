"""A restart from the snapshot brings back every undo record of a chain of settled jobs, though the
snapshot holds no old job record (each is its record now, as of the block before: ``Job.as_of``),
and rewinding the restored state across settlements gives the same tables as rewinding the
replayed one and as rebuilding the chain up to there."""
import json

from bench import jobs_chain
from bench.protocol import write_dir
from blockchain import SQLiteStore
from blockchain.snapshots import SNAPSHOT_KEY
from blockchain.startup import state_at
from ml import ledger_model


def _open(path):
    return jobs_chain.open_chain(SQLiteStore(path, durability="os"), lambda: jobs_chain.T0 / 1000 + 10_000)


def _tables(state):
    return state.jobs, state.balances, state.flowers, state.settling, state.job_order


def test_a_snapshot_restart_restores_the_job_undo_records_and_rewinds_across_settlements(tmp_path):
    built, ids = jobs_chain.build(8)
    write_dir(built, tmp_path)
    path = tmp_path / "chain.sqlite3"
    replayed = _open(path)                       # no snapshot yet: a full check and replay
    assert replayed.state.undo[-1] is not None and jobs_chain.settled(replayed, ids) == 8
    replayed.close()                             # writes the snapshot
    store = SQLiteStore(path, durability="os")
    ledger = json.loads(store.get_meta(SNAPSHOT_KEY))["ledger"]
    store.close()
    old_jobs = [value for record in ledger["undo"] if record for name, _, value in record[0]
                if name == "jobs" and value is not None]
    assert old_jobs and all(type(v) is int for v in old_jobs)   # heights, never whole old records
    restored = _open(path)
    assert all(r is not None for r in restored.state.undo[1:])  # the snapshot brought the undo records
    restored.close()
    full = _open_replayed(path)
    full.close()
    assert restored.state.undo == full.state.undo
    settle = max(restored.state.jobs[j].settled_in for j in ids)
    for height in (settle - 1, settle - jobs_chain.SETTLE_AFTER - 2, jobs_chain.FUNDING_BLOCKS + 1):
        a, b = restored.state.copy(), full.state.copy()
        a.rewind(height)
        b.rewind(height)
        rebuilt = state_at(restored.genesis, restored.params, ledger_model(), full.state.blocks, height)
        assert _tables(a) == _tables(b) == _tables(rebuilt)
        assert any(j.settled_in is None for j in a.jobs.values())  # rewound across settlements


def _open_replayed(path):
    store = SQLiteStore(path, durability="os")
    store.set_meta(SNAPSHOT_KEY, "")
    store.close()
    return _open(path)
