"""An audit goes on past an invalid block to name every issue, applying it as best it can: a JOB
whose windows are not whole numbers must be reported, never crash it (found by the differential
fuzzer: a JOB's commit_blocks as the string "0")."""
import pytest

from blockchain.audit import audit_chain
from ml import ledger_model
from testkit.fuzz.mutate import reseal
from tests.helpers.jobchain import JobNode, a_test_set, job_data


@pytest.mark.parametrize("field,value", [("commit_blocks", "0"), ("model_blocks", None), ("test_blocks", 1.5),
                                         ("commit_blocks", True)])
def test_a_job_with_windows_that_are_not_numbers_is_an_issue_not_a_crash(field, value):
    node = JobNode()
    node.earn("req", 2)
    node.job("req", 1, job_data(a_test_set()))
    node.mine(2)
    blocks = [b.to_dict() for b in node.chain.blocks()]
    at = next(i for i, b in enumerate(blocks) if any(t["type"] == "JOB" for t in b["transactions"]))
    job = next(t for t in blocks[at]["transactions"] if t["type"] == "JOB")
    assert audit_chain(blocks, ledger_model(), None).valid
    job["data"][field] = value
    reseal(blocks, at)
    result = audit_chain(blocks, ledger_model(), None)
    assert not result.valid
    assert result.issues[0].block_index == at and field in result.issues[0].message
