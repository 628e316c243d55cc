"""The peer protocol's limits (api/limits.py): what a node serves is what PROTOCOL.md states, and
what it accepts from a peer holds the largest page an honest peer can serve."""
import json
import re
from pathlib import Path

import pytest

from api import limits
from api.peers import count_items
from tests.helpers.chains import build_chain

PROTOCOL = (Path(__file__).resolve().parents[2] / "docs" / "PROTOCOL.md").read_text()
HASH = "ab" * 32


@pytest.mark.parametrize("path,most", [
    ("/headers?limit={n}", limits.MAX_HEADERS),
    ("/blocks?from=0&limit={n}", limits.MAX_BLOCKS),
    ("/transactions/pending?limit={n}", limits.MAX_PENDING_PAGE),
])
def test_a_page_limit_is_served_up_to_its_maximum_and_refused_above(client, path, most):
    assert client.get(path.format(n=most)).status_code == 200
    r = client.get(path.format(n=most + 1))
    assert r.status_code == 400 and str(most) in r.get_json()["error"]["message"], r.get_json()


def test_a_locator_is_served_up_to_its_maximum_and_refused_above(client):
    assert client.get("/headers?locator=" + ",".join([HASH] * limits.MAX_LOCATOR)).status_code == 200
    r = client.get("/headers?locator=" + ",".join([HASH] * (limits.MAX_LOCATOR + 1)))
    assert r.status_code == 400 and f"at most {limits.MAX_LOCATOR}" in r.get_json()["error"]["message"]


def test_protocol_md_states_the_served_limits():
    headers = re.search(r"`GET /headers\?[^|]*\|[^|]*at most (\d+)\) headers[^|]*at most (\d+) hashes", PROTOCOL)
    blocks = re.search(r"`GET /blocks\?[^|]*\|[^|]*at most (\d+)\) and at most (\d+) MiB", PROTOCOL)
    assert headers and blocks, "PROTOCOL.md's peer endpoint table changed: update this test and api/limits.py"
    assert (int(headers[1]), int(headers[2])) == (limits.MAX_HEADERS, limits.MAX_LOCATOR)
    assert (int(blocks[1]), int(blocks[2]) * 1024 * 1024) == (limits.MAX_BLOCKS, limits.MAX_BLOCKS_BYTES)


def test_the_largest_honest_header_page_fits_what_a_node_accepts():
    header = {k: v for k, v in build_chain(1, 1)[-1].items() if k != "transactions"}
    header.update(index=2 ** 53, timestamp_ms=2 ** 53, nonce=2 ** 53)  # every number at its widest
    raw = json.dumps({"headers": [header] * limits.MAX_HEADERS}).encode()
    assert len(raw) <= limits.HEADERS_ANSWER
    assert count_items(raw) <= limits.HEADERS_ITEMS

