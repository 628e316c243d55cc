"""The per-address index of TRANSFERs (``Blockchain.transfers``, ``GET /transfers``): kept through
blocks, reorgs and a restart from a snapshot."""
import json

from blockchain import SQLiteStore
from tests.helpers.chains import build_chain
from tests.helpers.factories import ledger, transfer

D = 1


def ids(chain, address):
    items, count = chain.transfers(address, 0, 1000)
    assert count == len(items)
    return [t["id"] for t in items]


def test_transfers_are_listed_newest_first_with_their_blocks_and_paged():
    chain = ledger(D)
    for _ in range(3):
        chain.mine("miner")
    sent = []
    for _ in range(3):
        tx = transfer("miner", "bob", 1)
        chain.add_transaction(tx)
        sent.append(tx.id)
        chain.mine("miner")
    assert ids(chain, "bob") == sent[::-1] == ids(chain, "miner")
    page, count = chain.transfers("bob", 1, 1)
    assert count == 3 and [t["id"] for t in page] == [sent[1]] and page[0]["block_index"] == 5
    assert chain.transfers("nobody", 0, 10) == ([], 0)


def test_a_reorg_takes_dropped_transfers_out_of_the_index():
    chain = ledger(D)
    for _ in range(2):
        chain.mine("miner")
    tx = transfer("miner", "bob", 1)
    chain.add_transaction(tx)
    chain.mine("miner")
    assert ids(chain, "bob") == [tx.id]
    longer = build_chain(5, D, miner="elsewhere")
    assert chain.replace_chain(longer)[0]
    assert ids(chain, "bob") == [] and ids(chain, "miner") == []


def test_a_restart_from_a_snapshot_rebuilds_the_index(tmp_path):
    chain = ledger(D, SQLiteStore(tmp_path / "chain.sqlite3", durability="os"))
    for _ in range(2):
        chain.mine("miner")
    tx = transfer("miner", "bob", 2)
    chain.add_transaction(tx)
    chain.mine("miner")
    chain.close()  # writes the snapshot: the restart takes the blocks as stored text
    store = SQLiteStore(tmp_path / "chain.sqlite3", durability="os")
    assert json.loads(store.get_meta("snapshot_v2"))["height"] == 3
    again = ledger(D, store)
    try:
        assert ids(again, "bob") == [tx.id] and ids(again, "miner") == [tx.id]
    finally:
        again.close()
