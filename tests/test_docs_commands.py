"""Every command shown in the README and the docs pages is run against a real node, and what it
prints is checked against what the page shows (tests/docs_commands.py says how)."""
from pathlib import Path

import pytest

from tests.docs_commands import blocks, run_page

ROOT = Path(__file__).resolve().parent.parent
# Pages run in one session (one node) are listed together: the later ones go on from the state the
# first one left (troubleshooting's claim example refunds the walk-through's flower).
PAGES = ["README.md", "docs/walkthrough.md+docs/troubleshooting.md", "docs/wallet.md", "docs/auditing.md",
         "docs/network.md"]


@pytest.mark.parametrize("page", PAGES)
def test_commands_print_what_the_page_shows(page, tmp_path):
    counts = run_page("\n".join((ROOT / p).read_text(encoding="utf-8") for p in page.split("+")), tmp_path)
    print(f"{page}: {counts['run']} command(s) run, {counts['not_run']} not run (marked with a reason)")
    assert counts["run"] > 0
    assert not counts["problems"], "\n".join(counts["problems"])


def test_the_harness_catches_a_wrong_answer(tmp_path):
    page = "```console\n$ curl -s localhost:5000/chain/validate\n{\"valid\":false,\"length\":1,\"errors\":[]}\n```\n"
    counts = run_page(page, tmp_path, retry_s=0)
    assert counts["run"] == 1
    assert any("valid" in p and "False" in p for p in counts["problems"]), counts["problems"]


def test_an_unmarked_block_is_a_problem():
    marked = blocks("<!-- not run: a second machine -->\n```sh\n./run.sh --host 0.0.0.0\n```\n")
    assert marked[0].not_run == "a second machine"
    assert blocks("```sh\n./run.sh\n```\n")[0].not_run is None
