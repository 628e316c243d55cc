"""Check a chain exported from any node, without running one.

    python -m blockchain.verify CHAIN.json [--difficulty N] [--base-data FILE]

CHAIN.json is the body of ``GET /chain`` or a bare list of blocks. The network's params
(difficulty, min_deposit, refund_wait) are read from the chain's own GENESIS transaction; its
base model must be the Iris base, or the one given with ``--base-data``. Prints one line per
problem and a summary; exits 0 when the chain is valid, 1 when it is not, 2 when it cannot be read.

The checks are the node's own (``blockchain.audit``). Replaying the model needs a model
implementation, which this package does not import: it is loaded as a plug-in named by
``--model`` (default ``ml:ledger_model``, this project's IrisModel).
"""
from __future__ import annotations

import argparse
import importlib
import sys
import time
from pathlib import Path
from typing import Any, Callable, Optional, Sequence

from .audit import audit_chain, declared_params
from .errors import VerifyError
from .model_port import LedgerModel
from .strictjson import JSONRejected, loads_strict
from .genesis import PROTOCOLS

DEFAULT_MODEL = "ml:ledger_model"


def load_chain(path: Path) -> list[Any]:
    try:
        data = loads_strict(Path(path).read_bytes())
    except OSError as exc:
        raise VerifyError(f"cannot read {path}: {exc.strerror or exc}") from None
    except JSONRejected as exc:
        raise VerifyError(f"{path} is not strict JSON (PROTOCOL.md \"Strict JSON\"): {exc}") from None
    if isinstance(data, dict) and isinstance(data.get("chain"), list):
        data = data["chain"]
    if not isinstance(data, list):
        raise VerifyError(f"{path} must hold the body of GET /chain or a list of blocks")
    return data


def load_model_factory(spec: str) -> Callable[[Optional[str]], LedgerModel]:
    module_name, _, attr = spec.partition(":")
    try:
        factory: Callable[[Optional[str]], LedgerModel] = getattr(importlib.import_module(module_name),
                                                                  attr or "ledger_model")
        return factory
    except (ImportError, AttributeError) as exc:
        raise VerifyError(f"cannot load the model plug-in {spec!r} ({exc}); run from the project root "
                          "with its requirements installed") from None


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m blockchain.verify",
                                     description="Verify an exported chain: hashes, links, proof of work, Merkle "
                                                 "roots, signatures, balances, deposits and claims, and a replay of "
                                                 "the model.")
    parser.add_argument("chain", type=Path, help="JSON file: the body of GET /chain, or a list of blocks")
    parser.add_argument("--difficulty", type=int, help="insist on this difficulty (default: the genesis block's)")
    parser.add_argument("--base-data", help="base data file of an experiment network (default: the Iris base)")
    parser.add_argument("--model", default=DEFAULT_MODEL,
                        help=f"model plug-in, module:factory (default {DEFAULT_MODEL})")
    args = parser.parse_args(argv)
    try:
        chain = load_chain(args.chain)
        params = declared_params(chain[0]) if chain else None
        if params is None:
            raise VerifyError("block 0 must be a protocol v2 genesis block with a GENESIS transaction and its params")
        if params.get("protocol") not in PROTOCOLS:
            raise VerifyError(f"the chain declares protocol {params.get('protocol')!r}; this verifier checks versions "
                              f"{', '.join(map(str, PROTOCOLS))} (3 is the draft claim rule)")
        if args.difficulty is not None and params.get("difficulty") != args.difficulty:
            raise VerifyError(f"the chain's genesis declares difficulty {params.get('difficulty')}; "
                              f"--difficulty asks for {args.difficulty}")
        print(f"network: protocol {params['protocol']}, difficulty {params['difficulty']}, "
              f"min_deposit {params['min_deposit']}, "
              f"refund_wait {params['refund_wait']} (from the genesis block)")
        model = load_model_factory(args.model)(args.base_data)
    except VerifyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # a base data file that cannot be used, and the like
        print(f"error: {exc}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    result = audit_chain(chain, model, None, now_ms=int(time.time() * 1000))
    elapsed = time.perf_counter() - started
    for issue in result.issues:
        print(issue)
    if result.valid and result.state is not None:
        summary = result.model.summary()
        print(f"VALID: {len(chain)} blocks, tip {result.state.tip.hash}, model_hash {summary['model_hash']}, "
              f"{summary['data_points_trained']} data points, test_correct {summary['test_correct']}/"
              f"{summary['test_rows']} ({elapsed:.2f} s)")
        return 0
    blocks = sorted({i.block_index for i in result.issues if i.block_index is not None})
    print(f"INVALID: {len(result.issues)} problem(s) in block(s) {', '.join(map(str, blocks)) or '-'} "
          f"of {len(chain)}" + ("" if result.complete else "; blocks after the unreadable one were not checked"))
    return 1


if __name__ == "__main__":
    sys.exit(main())
