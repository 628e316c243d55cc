"""The one fork-choice rule (``blockchain/forkchoice.py``): most cumulative work, ties keep ours."""
import pytest

from blockchain.forkchoice import chain_work, is_better
from tests.helpers.chains import build_chain
from tests.helpers.factories import ledger


def test_work_is_two_to_the_four_d_a_block_genesis_included():
    assert chain_work(0, 1) == 16
    assert chain_work(9, 2) == 10 * 256
    with pytest.raises(ValueError):
        chain_work(-1, 1)


@pytest.mark.parametrize("ours, theirs, better", [(5, 6, True), (5, 5, False), (6, 5, False), (0, 1, True)])
def test_strictly_more_work_wins_and_a_tie_keeps_ours(ours, theirs, better):
    assert is_better(chain_work(ours, 3), chain_work(theirs, 3)) is better


def test_the_ledger_asks_the_rule_for_whole_chains():
    chain = build_chain(6, 1)
    node = ledger(1)
    assert node.work == chain_work(0, 1)
    assert node.prefers(chain_work(6, 1)) and not node.prefers(chain_work(0, 1))
    assert node.replace_chain(chain)[0] is True
    assert node.work == chain_work(6, 1)
    assert not node.prefers(chain_work(6, 1)) and node.prefers(chain_work(7, 1))
    other = ledger(1)
    other.replace_chain(chain[:5])
    assert other.replace_chain(chain[:5]) == (False, [])  # the same work: ours is kept
    assert other.height == 4
