"""Every command shown in the README and the docs pages is run against a real node, and what it
prints is checked against what the page shows (tests/docs_commands.py says how)."""
from pathlib import Path

import pytest

from tests.docs_commands import blocks, run_page

ROOT = Path(__file__).resolve().parent.parent
# Pages run in one session (one node) are listed together: the later ones go on from the state the
# first one left (troubleshooting's claim example refunds the walk-through's flower).
PAGES = ["README.md", "docs/walkthrough.md+docs/troubleshooting.md", "docs/wallet.md", "docs/auditing.md",
         "docs/network.md", "docs/deposits.md"]


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


OTHERS_OWN = {"docs/DESIGN.md", "docs/PROTOCOL.md", "docs/client.md"}


def test_every_command_block_is_run_or_marked():
    """A command block of a page the harness does not run must say why it is not run."""
    run = {p for page in PAGES for p in page.split("+")}
    pages = ["README.md", *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "docs").glob("*.md"))]
    unmarked, marked = [], 0
    for page in pages:
        if page in run or page in OTHERS_OWN:
            continue
        for block in blocks((ROOT / page).read_text(encoding="utf-8")):
            if block.lang in ("console", "sh", "bash", "shell"):
                if block.not_run:
                    marked += 1
                else:
                    unmarked.append(f"{page}:{block.line_no}")
    print(f"pages not run by the harness: {marked} command block(s) marked not run")
    assert not unmarked, unmarked
