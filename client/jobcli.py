"""The wallet's ``job`` commands (PROTOCOL.md "Version 3: training jobs"):

    python -m client job create --key alice.key --bounty 50 --kind knn --flowers-to 3 --test test.json \\
                                --stake 5 --max-commits 4 --commit-blocks 3 --test-blocks 2 --model-blocks 3
    python -m client job commit JOB_ID --key bob.key --model model.json
    python -m client job reveal-test JOB_ID --key alice.key
    python -m client job reveal-model JOB_ID --key bob.key
    python -m client job show JOB_ID
    python -m client job list [--state commit|test|model|settling|settled]

A test file is ``{"rows": [[integers]], "labels": [class names or indices]}``; a model file is a
model of ml/kinds.py (``python -m worker`` writes them, or write one yourself). The test set and
each model's salt are kept in the wallet's job directory (``--jobs-dir``, by default next to the
key: ``alice.key.jobs/``, readable by you only; client/jobfiles.py) and sent only in the reveal.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any, Callable

from blockchain import crypto
from blockchain.strictjson import JSONRejected, loads_strict

from .jobfiles import JobFiles, default_dir
from .jobs import Sealed, TestSet

STATES = ("commit", "test", "model", "settling", "settled")


class JobCommandError(Exception):
    pass


def _files(args) -> JobFiles:
    return JobFiles(Path(args.jobs_dir) if args.jobs_dir else default_dir(Path(args.key)))


def _json_file(path: str, what: str) -> Any:
    try:
        return loads_strict(Path(path).read_bytes())
    except FileNotFoundError:
        raise JobCommandError(f"{what} {path} does not exist") from None
    except (OSError, JSONRejected) as exc:
        raise JobCommandError(f"cannot read {what} {path}: {exc}") from None


def _labels(raw: Any, classes: list[str]) -> list[int]:
    if not isinstance(raw, list):
        raise JobCommandError("the test file's labels must be a list")
    out = []
    for label in raw:
        if isinstance(label, str) and label in classes:
            out.append(classes.index(label))
        elif type(label) is int and 0 <= label < len(classes):
            out.append(label)
        else:
            raise JobCommandError(f"label {label!r:.40} is not one of the job's classes ({', '.join(classes)})")
    return out


def cmd_create(args, node) -> str:
    key = crypto.read_key_file(Path(args.key))
    if (args.flowers_to is None) == (args.artifact is None):
        raise JobCommandError("give --flowers-to HEIGHT or --artifact SHA256 (the training data), one of them")
    train = {"flowers_to": args.flowers_to} if args.flowers_to is not None else {"artifact": args.artifact}
    features = args.features.split(",") if args.features else None
    classes = args.classes.split(",") if args.classes else None
    if classes is None and args.flowers_to is not None:
        classes = list(node.model_info().classes)
    if classes is None or (features is None and args.artifact is not None):
        raise JobCommandError("a job on an artifact needs --features and --classes (comma-separated names)")
    raw = _json_file(args.test, "the test file")
    if not isinstance(raw, dict) or "rows" not in raw or "labels" not in raw:
        raise JobCommandError('the test file must be {"rows": [[...]], "labels": [...]}')
    test = TestSet.make(raw["rows"], _labels(raw["labels"], classes))
    saved = _files(args).save_test(test)
    answer = node.create_job(key, args.bounty, args.kind, train, test, stake=args.stake,
                             max_commits=args.max_commits, commit_blocks=args.commit_blocks,
                             test_blocks=args.test_blocks, model_blocks=args.model_blocks,
                             features=features, classes=classes)
    return (f"job {answer.job_id} posted (block {answer.block_index}); its test set and salt are kept in {saved} "
            f"until you reveal them: {_prog(args)} job reveal-test {answer.job_id} --key {args.key}")


def cmd_commit(args, node) -> str:
    key = crypto.read_key_file(Path(args.key))
    model = _json_file(args.model, "the model file")
    if not isinstance(model, dict):
        raise JobCommandError("the model file must hold a model object (ml/kinds.py)")
    if "model" in model and "kind" not in model:   # a file the worker wrote: {"model", ...}
        model = model["model"]
    job = node.job(args.job_id)
    from ml import kinds
    data = job.data
    problem = kinds.check_model(data["kind"], model, len(data["features"]), len(data["classes"]))
    if problem:
        raise JobCommandError(f"the model is not a well-formed {data['kind']} model for this job: {problem}")
    sealed = Sealed.for_key(model, key)   # the commitment binds this key's address
    saved = _files(args).save_model(sealed)
    answer = node.commit_job(key, args.job_id, sealed.commitment, stake=int(data["stake"]))
    return (f"committed to job {args.job_id[:16]}... with stake {data['stake']} (block {answer.block_index}); the "
            f"model and salt are kept in {saved} until: {_prog(args)} job reveal-model {args.job_id} --key {args.key}")


def cmd_reveal_test(args, node) -> str:
    key = crypto.read_key_file(Path(args.key))
    job = node.job(args.job_id)
    test = _files(args).load_test(job.data["test_commitment"])
    answer = node.reveal_test(key, args.job_id, test)
    return f"test set of {len(test.rows)} rows revealed for job {args.job_id[:16]}... (block {answer.block_index})"


def cmd_reveal_model(args, node) -> str:
    key = crypto.read_key_file(Path(args.key))
    me = crypto.address_of(crypto.public_key_hex(key))
    job = node.job(args.job_id)
    mine = next((c for c in job.commitments if c.worker == me), None)
    if mine is None:
        raise JobCommandError(f"{me} has no commitment in job {args.job_id[:16]}...")
    sealed = _files(args).load_model(mine.model_commitment)
    answer = node.reveal_model(key, args.job_id, sealed)
    return f"{sealed.model['kind']} model revealed for job {args.job_id[:16]}... (block {answer.block_index})"


def describe(job) -> str:
    d, w = job.data, job.windows
    lines = [f"job {job.id}: {job.state}, {d['kind']} on {json.dumps(d['train'])}, bounty {job.bounty}, "
             f"stake {d['stake']}, by {job.requester} (block {job.height})",
             f"  commit {w.commit[0]}-{w.commit[1]}, test {w.test[0]}-{w.test[1]}, model {w.model[0]}-{w.model[1]}, "
             f"settles in {w.settle}; {len(job.commitments)} of {d['max_commits']} commitments; test set "
             + ("revealed" if job.test is not None else "hidden")]
    for c in job.commitments:
        lines.append(f"  {c.worker}  committed in block {c.height}  {'revealed' if c.revealed else 'not revealed'}")
    s = job.settlement
    if s is not None:
        lines.append(f"  settled in block {job.settled_in}: {s['outcome']}, winner {s['winner']}, burnt {s['burnt']}")
        lines += [f"    {worker}: score {score}" for worker, score in s["scores"]]
        lines += [f"    paid {address}: {amount}" for address, amount in s["payouts"]]
    return "\n".join(lines)


def cmd_show(args, node) -> str:
    return describe(node.job(args.job_id))


def cmd_list(args, node) -> str:
    page = node.jobs(args.state, 0, 100)
    lines = [f"{page.count} job(s)" + (f" in state {args.state}" if args.state else "")]
    lines += [f"{j.id}  {j.state:<8}  {j.data['kind']:<6}  bounty {j.bounty}  {len(j.commitments)} commitment(s)"
              for j in page.jobs]
    return "\n".join(lines)


def _prog(args) -> str:
    return getattr(args, "prog", "python -m client")


def _job_id(text: str) -> str:
    import re
    if not re.fullmatch(r"[0-9a-f]{64}", text):
        raise argparse.ArgumentTypeError(f"must be a job id (64 lowercase hex characters); got {text!r:.80}")
    return text


def register(sub, node_arg: Callable[[argparse.ArgumentParser], Any], whole: Callable[[int], Any],
             make_node: Callable[[Any], Any]) -> None:
    """Add ``job <command>`` to the wallet's subparsers ``sub``."""
    job = sub.add_parser("job", help="training jobs: create, commit, reveal-test, reveal-model, show, list")
    steps = job.add_subparsers(dest="job_command", required=True)

    def add(name: str, func, help_: str, key: bool = True) -> argparse.ArgumentParser:
        p = steps.add_parser(name, help=help_)
        if key:
            p.add_argument("--key", required=True, help="key file")
            p.add_argument("--jobs-dir", help="where test sets and salts are kept (default: KEY.jobs/ next to it)")
        node_arg(p)
        p.set_defaults(func=lambda args: func(args, make_node(args)))
        return p

    create = add("create", cmd_create, "post a job (the test set and salt stay in the wallet)")
    create.add_argument("--bounty", type=whole(1), required=True, help="coins escrowed for the best model")
    create.add_argument("--kind", choices=("linear", "tree", "knn"), required=True)
    create.add_argument("--flowers-to", type=whole(0), help="train on the network's flowers up to this block")
    create.add_argument("--artifact", help="or on a dataset file by its SHA-256")
    create.add_argument("--features", help="comma-separated feature names (an artifact's; needed with --artifact)")
    create.add_argument("--classes", help="comma-separated class names (needed with --artifact; with --flowers-to "
                                          "the default is the network's)")
    create.add_argument("--test", required=True, help='JSON file {"rows": [[...]], "labels": [...]}')
    create.add_argument("--stake", type=whole(1), required=True, help="coins each commitment locks")
    create.add_argument("--max-commits", type=whole(1), default=4)
    create.add_argument("--commit-blocks", type=whole(1), default=3)
    create.add_argument("--test-blocks", type=whole(1), default=2)
    create.add_argument("--model-blocks", type=whole(2), default=3)
    commit = add("commit", cmd_commit, "commit to a model by its hash (the model and salt stay in the wallet)")
    commit.add_argument("job_id", type=_job_id)
    commit.add_argument("--model", required=True, help="JSON file of a model (ml/kinds.py)")
    for name, func, what in (("reveal-test", cmd_reveal_test, "reveal your job's test set"),
                             ("reveal-model", cmd_reveal_model, "reveal your committed model")):
        add(name, func, what).add_argument("job_id", type=_job_id)
    add("show", cmd_show, "show a job: windows, commitments, settlement", key=False).add_argument(
        "job_id", type=_job_id)
    add("list", cmd_list, "list jobs, newest first", key=False).add_argument("--state", choices=STATES)


__all__ = ["register", "describe", "JobCommandError"]
