"""client.LocalNetwork: real nodes on free ports, registered with each other, all stopped by
pid when the with block ends, normally or by an exception."""
import pytest

from client import LocalNetwork, Node
from tests.helpers.network import wait_until


def test_a_network_of_two_shares_a_mined_block_and_stops_its_processes():
    with LocalNetwork(2, difficulty=1) as net:
        assert len(net) == 2 and all(isinstance(node, Node) for node in net)
        assert len(set(net.urls)) == 2
        assert net[0].nodes().nodes[0].url == net[1].url
        assert [peer.url for peer in net[1].nodes().nodes] == [net[0].url]
        mined = net[0].mine()
        wait_until(lambda: net[1].tip().hash == mined.hash, timeout=30, what="node1 to take node0's block")
        processes = list(net.processes)
    assert all(p.proc.poll() is not None for p in processes)


def test_processes_are_stopped_when_the_block_raises():
    with pytest.raises(KeyError):
        with LocalNetwork(1, register=False) as net:
            assert net[0].health().height == 0 and net[0].nodes().nodes == []
            processes = list(net.processes)
            raise KeyError("boom")
    assert processes and all(p.proc.poll() is not None for p in processes)


def test_a_node_that_cannot_start_is_an_error_and_nothing_is_left_running():
    net = LocalNetwork(2, extra_args=("--min-deposit", "-1"))
    with pytest.raises(RuntimeError, match="exited with"):
        net.__enter__()
    assert net.processes and all(p.proc.poll() is not None for p in net.processes)
