"""Start one node: ``python app.py [--port 5000] [--difficulty 4] [--data-dir DIR | --ephemeral] ...``."""
from __future__ import annotations

import argparse
import gc
import logging
import signal
import sys
from pathlib import Path

from api import NodeConfig, create_app
from api.errors import startup_error_message
from api.config import (DEFAULT_ARTIFACT_MAX_BYTES, DEFAULT_ARTIFACT_STORE_BYTES, DEFAULT_ARTIFACT_TIMEOUT,
                        default_miners)
from api.guard import split_host
from api.limits import PEER_TIMEOUT
from api.logsafe import install as escape_log_controls
from api.peer_urls import PeerURLError, normalize_peer_url
from api.server import PortInUse, bind, serve


def port_number(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"port must be 1 to 65535; got {value}")
    return value


def difficulty_value(text: str) -> int:
    value = int(text)
    if not 1 <= value <= MAX_DIFFICULTY_OPTION:
        raise argparse.ArgumentTypeError(f"difficulty must be 1 to 7 hex zeros (protocol 2) or 1 to "
                                         f"2^40 hashes a block (protocol 3); got {value}")
    return value


MAX_DIFFICULTY_OPTION = 2**40  # protocol 3: 2^40 hashes a block is days of one machine's work
V3_DEFAULT_DIFFICULTY = 2**16  # blockchain.genesis.V3_DIFFICULTY: 16 leading zero bits on average


def whole_number(least: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a whole number; got {text!r}") from None
        if not least <= value <= 10**12:
            raise argparse.ArgumentTypeError(f"must be {least} to 10^12; got {value}")
        return value
    return parse


def advertised_url(text: str) -> str:
    """A URL peers can use: the peer URL rules of DESIGN.md (http(s), host and port, nothing else)."""
    try:
        return normalize_peer_url(text)
    except PeerURLError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def host_name(text: str) -> str:
    name, port = split_host(text)
    if not name or port is not None or any(c in name for c in "/@?#* "):
        raise argparse.ArgumentTypeError(
            f"must be a host name without scheme or port, such as node.example; got {text!r}"
        )
    return name


def seconds(text: str) -> float:
    value = float(text)
    if not 0.1 <= value <= 300:
        raise argparse.ArgumentTypeError(f"must be 0.1 to 300 seconds; got {text}")
    return value


def parse_args(argv=None) -> NodeConfig:
    parser = argparse.ArgumentParser(description="A blockchain node that trains an Iris KNN model from its blocks.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: loopback only)")
    parser.add_argument("--port", type=port_number, default=5000, help="port to listen on (default: 5000)")
    parser.add_argument("--difficulty", type=difficulty_value, default=None,
                        help="protocol 2: leading hex zeros of every block hash (1 to 7; default: 4); protocol 3: "
                             "the genesis block's difficulty in hashes a block on average, where the retarget "
                             "starts (default: 65536, i.e. 16 zero bits); "
                             "every node of a network must agree")
    parser.add_argument("--target-block-ms", type=whole_number(1), default=None, metavar="MS",
                        help="protocol 3: the wanted time between blocks, which the difficulty follows; fixes the "
                             "network (default: 10000)")
    parser.add_argument("--retarget-every", type=whole_number(2), default=None, metavar="BLOCKS",
                        help="protocol 3: blocks per difficulty retarget window; fixes the network (default: 20)")
    parser.add_argument("--min-difficulty", type=whole_number(1), default=None, metavar="HASHES",
                        help="protocol 3: the lowest difficulty (hashes a block) a retarget may reach; fixes the "
                             "network (default: 256, or --difficulty when lower)")
    store = parser.add_mutually_exclusive_group()
    store.add_argument("--data-dir", type=Path, help="where the chain, pending pool and node key live "
                                                     "(default: ./data/node-<port>)")
    store.add_argument("--ephemeral", action="store_true", help="keep everything in memory; lost on exit")
    parser.add_argument("--peers", default="", metavar="URL,URL",
                        help="peers to connect to at start, comma-separated (kept with the chain)")
    parser.add_argument("--advertise", type=advertised_url, metavar="URL",
                        help="the URL peers reach this node at, announced when it registers with a peer; needed "
                             "when it listens on 0.0.0.0 or behind a port mapping (default: http://HOST:PORT)")
    parser.add_argument("--allow-host", type=host_name, action="append", default=[], metavar="NAME",
                        help="one more host name browsers and clients may reach this node by (repeatable); served "
                             "already: IP addresses, localhost, --host and the host of --advertise. Requests naming "
                             "any other Host get 421 host_not_allowed (DNS rebinding)")
    parser.add_argument("--peer-timeout", type=seconds, default=PEER_TIMEOUT, metavar="SECONDS",
                        help="total deadline of one call to a peer, headers and body included "
                             f"(default: {PEER_TIMEOUT:g})")
    parser.add_argument("--artifact-max-bytes", type=whole_number(1), default=DEFAULT_ARTIFACT_MAX_BYTES,
                        metavar="BYTES", help="the largest file PUT /artifacts takes, and the largest fetched from a "
                                              f"peer (default: {DEFAULT_ARTIFACT_MAX_BYTES}, 16 MiB)")
    parser.add_argument("--artifact-store-bytes", type=whole_number(1), default=DEFAULT_ARTIFACT_STORE_BYTES,
                        metavar="BYTES", help="what the artifact store holds at most, all files together; beyond it "
                                              f"a put answers 507 (default: {DEFAULT_ARTIFACT_STORE_BYTES}, 1 GiB)")
    parser.add_argument("--artifact-timeout", type=seconds, default=DEFAULT_ARTIFACT_TIMEOUT, metavar="SECONDS",
                        help="total deadline of fetching one artifact from one peer, headers and body included "
                             f"(default: {DEFAULT_ARTIFACT_TIMEOUT:g})")
    parser.add_argument("--sync-interval", type=seconds, default=2.0, metavar="SECONDS",
                        help="how often each peer's /tip is polled (default: 2)")
    parser.add_argument("--miners", type=int, default=None, metavar="N",
                        help="proof-of-work worker processes (default: one per core with --mine demand; one "
                             "core fewer, at least one, with auto and always, so that a core stays free for "
                             "answering; 0 mines in a thread)")
    parser.add_argument("--mine", choices=("demand", "auto", "always"), default="demand",
                        help="demand: mine only on POST /mine (the paper); auto: also whenever transactions are "
                             "pending; always: continuously (default: demand)")
    parser.add_argument("--durability", choices=("fsync", "os"), default="fsync",
                        help="fsync: every 201 is synced to the device (survives a power cut; default); "
                             "os: handed to the operating system (survives the node being killed; faster)")
    parser.add_argument("--require-signatures", action="store_true",
                        help="refuse unsigned user transactions (flowers, claims, transfers) submitted to this "
                             "node's API or gossiped into its pending pool. Blocks mined by other nodes are not "
                             "affected: signatures are not consensus (PROTOCOL.md v2), so a peer's valid block with "
                             "an unsigned transfer is still accepted")
    parser.add_argument("--min-deposit", type=whole_number(0), default=0, metavar="N",
                        help="smallest deposit a contribution must lock; fixes the network (default: 0)")
    parser.add_argument("--refund-wait", type=whole_number(1), default=10, metavar="BLOCKS",
                        help="blocks before a contribution can be refunded or reported; fixes the network "
                             "(default: 10)")
    parser.add_argument("--protocol", type=int, choices=(2, 3), default=2,
                        help="protocol version; 3 is the draft whose claims are judged by settled data only "
                             "(PROTOCOL.md \"Version 3\"); fixes the network (default: 2)")
    parser.add_argument("--base-data", type=Path,
                        help="JSON file with classes, train, train_labels, test, test_labels (PROTOCOL.md "
                             "\"Base data\"): starts an experiment network with its own genesis instead of Iris")
    args = parser.parse_args(argv)
    retarget = {"target_block_ms": args.target_block_ms, "retarget_every": args.retarget_every,
                "min_difficulty": args.min_difficulty}
    if args.protocol == 2:
        if args.difficulty is not None and args.difficulty > 7:
            parser.error("argument --difficulty: difficulty must be 1 to 7 hex zeros under protocol 2; "
                         f"got {args.difficulty}")
        given = [f"--{name.replace('_', '-')}" for name, value in retarget.items() if value is not None]
        if given:
            parser.error(f"{', '.join(given)}: only protocol 3 retargets (add --protocol 3)")
    if args.artifact_store_bytes < args.artifact_max_bytes:
        parser.error(f"argument --artifact-store-bytes: at least --artifact-max-bytes ({args.artifact_max_bytes}); "
                     f"got {args.artifact_store_bytes}")
    default = 4 if args.protocol == 2 else V3_DEFAULT_DIFFICULTY
    difficulty = args.difficulty if args.difficulty is not None else default
    if args.min_difficulty is not None and args.min_difficulty > difficulty:
        parser.error(f"argument --min-difficulty: at most --difficulty ({difficulty}); got {args.min_difficulty}")
    return NodeConfig(host=args.host, port=args.port, difficulty=difficulty, data_dir=args.data_dir,
                      ephemeral=args.ephemeral, peers=[p.strip() for p in args.peers.split(",") if p.strip()],
                      require_signatures=args.require_signatures, peer_timeout=args.peer_timeout,
                      sync_interval=args.sync_interval, advertise=args.advertise, allow_hosts=args.allow_host,
                      miners=max(0, args.miners if args.miners is not None else default_miners(args.mine)),
                      mine=args.mine, durability=args.durability,
                      base_data=args.base_data, min_deposit=args.min_deposit, refund_wait=args.refund_wait,
                      protocol=args.protocol, artifact_max_bytes=args.artifact_max_bytes,
                      artifact_store_bytes=args.artifact_store_bytes, artifact_timeout=args.artifact_timeout,
                      **{k: v for k, v in retarget.items() if v is not None})


def install_stop_signals(service) -> None:
    """SIGINT (Ctrl-C, ``kill -INT``) and SIGTERM stop the node. Installed explicitly: a node started
    from a script with ``&`` inherits SIGINT as ignored, and Python keeps an inherited SIG_IGN.

    The handler first aborts any mining under way (its request answers 503 mining_aborted), so
    the server's shutdown does not wait for a block at a high difficulty; then it ends the serve
    loop. A second signal while stopping is ignored: the first one is already being honoured."""
    def stop(signum, frame):
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        logging.getLogger("node").info("%s: stopping", signal.Signals(signum).name)
        service.chain.stop_mining()
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)


def main(argv=None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    escape_log_controls(logging.getLogger().handlers)  # one record, one line, whatever a request or peer sent
    config = parse_args(argv)
    try:
        app = create_app(config)
    except Exception as exc:  # a clear line for the person who started the node, not a traceback
        message = startup_error_message(exc)
        if message is None:
            raise
        print(f"error: {message}", file=sys.stderr)
        return 2
    service = app.extensions["node"]
    try:
        server = bind(app, config.host, config.port)
    except PortInUse as exc:
        service.close()
        print(f"error: {exc}", file=sys.stderr)
        return 2
    gc.collect()
    gc.freeze()  # what start-up loaded lives as long as the node: later collections skip it
    # A relative --data-dir (and the default ./data/node-<port>) is relative to the directory the node
    # was started in; the log says where that is, so that a node started elsewhere is not a surprise.
    where = "memory (--ephemeral)" if config.ephemeral else str(config.resolved_data_dir.absolute())
    logging.getLogger("node").info(
        "node %s serving on http://%s:%d (protocol %d, genesis %s, difficulty %d, data in %s, height %d, "
        "mining rewards to %s)", service.node_id, config.host, config.port, config.protocol,
        service.chain.genesis.hash[:16],
        config.difficulty, where, service.chain.height, service.address)
    install_stop_signals(service)
    service.listening()  # bound: connections wait in the backlog until serve() accepts them
    serve(app, server)
    return 0


if __name__ == "__main__":
    sys.exit(main())
