"""Nodes on hosts of their own (network namespaces on one bridge): --advertise, partitions, and a
Jepsen-style check. They need root and ip netns; elsewhere they skip with the reason."""
import os
import subprocess
import time

import pytest

from tests.cluster.bed import TestBed
from tests.cluster.check import run_check
from tests.helpers.network import wait_until

pytestmark = pytest.mark.network
ROUNDS = int(os.environ.get("IRIS_CHECK_ROUNDS", "10"))
SEED = int(os.environ.get("IRIS_CHECK_SEED", "2026"))


def namespaces() -> set:
    return set(subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout.split())


def peer_urls(host) -> list:
    return [n.url for n in host.api.nodes().nodes]


def test_a_node_on_0_0_0_0_is_reachable_only_when_it_advertises(tmp_path):
    with TestBed(3, tmp_path, start=False) as bed:
        advertised, silent, other = bed.hosts
        advertised.start(host="0.0.0.0", advertise=True)
        silent.start(host="0.0.0.0", advertise=False)
        other.start()
        assert advertised.api.health().advertise == advertised.url
        assert silent.api.health().advertise is None

        advertised.api.register([other.url])  # an ApiError unless 201
        wait_until(lambda: peer_urls(other) == [advertised.url], what="the advertised URL to be registered back")
        block = other.api.mine()  # gossip from the other host reaches the advertised address
        wait_until(lambda: advertised.api.tip().hash == block.hash, what="the gossiped block")

        silent.api.register([other.url])
        wait_until(lambda: silent.api.tip().hash == block.hash, what="the silent node to sync")
        time.sleep(0)  # nothing to wait for: a node without --advertise announces nothing
        assert peer_urls(other) == [advertised.url]
        assert "could not announce" not in silent.log()


def test_partitions_split_the_network_and_healing_rejoins_it(tmp_path):
    with TestBed(3, tmp_path) as bed:
        a, b, c = bed.hosts
        for host in bed.hosts:
            host.api.register([h.url for h in bed.hosts if h is not host])
        bed.partition([[0], [1, 2]])
        a.api.mine()
        for _ in range(2):
            b.api.mine()
        wait_until(lambda: c.api.tip().height == 2, what="b's blocks to reach c")
        assert a.api.tip().height == 1   # a is cut off: it has only its own block
        bed.heal()
        wait_until(lambda: a.api.tip().hash == b.api.tip().hash, what="a to rejoin")
        state = {n.url: n.state for n in a.api.nodes().nodes}
        assert state[b.url] == "ok"


def test_everything_is_torn_down_when_a_test_fails(tmp_path):
    before = namespaces()
    with pytest.raises(RuntimeError, match="a failing test"):
        with TestBed(2, tmp_path) as bed:
            procs = [h.proc for h in bed.hosts]
            assert len(namespaces() - before) == 3   # two hosts and the switch
            raise RuntimeError("a failing test")
    assert namespaces() == before
    assert all(proc.poll() is not None for proc in procs)


def test_jepsen_style_rounds_lose_and_duplicate_nothing(tmp_path, capsys):
    with TestBed(5, tmp_path) as bed:
        lines = []

        def out(line):
            lines.append(line)
            with capsys.disabled():
                print(line, flush=True)
        rounds = run_check(bed, ROUNDS, SEED, out=out)
    assert len(rounds) == ROUNDS and len(lines) == ROUNDS
    assert all(r.acked for r in rounds) and all(r.converged_s < 30 for r in rounds)
    assert any(len(p) > 1 for r in rounds for p in r.partitions)
