"""One exception tree per package, one class (and code) per failure."""
import pytest

import ml
from blockchain import BlockchainError
from blockchain.chain import MiningAborted, MiningBusy
from blockchain.crypto import KeyFileError
from blockchain.errors import UndoMissing
from blockchain.verify import VerifyError


@pytest.mark.parametrize("cls", [MiningAborted, MiningBusy, KeyFileError, UndoMissing, VerifyError])
def test_ledger_failures_are_blockchain_errors(cls):
    assert issubclass(cls, BlockchainError)


def test_model_failures_are_model_errors_with_their_own_codes():
    classes = [ml.InvalidFeatures, ml.InvalidLabel, ml.SnapshotError, ml.BaseDataError, ml.MeasurementError]
    assert all(issubclass(cls, ml.ModelError) for cls in classes)
    codes = [cls.code for cls in classes]
    assert len(set(codes)) == len(codes) and all(code.startswith("invalid_") for code in codes)
