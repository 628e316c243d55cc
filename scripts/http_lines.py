"""Count the hand-written HTTP code that commits removed: for each commit and each Python file it
changed, the code lines (comments and strings left out) that make a request or read its answer by
hand (``requests.``, ``.json()``, ``status_code``, ``host.get(``...), before and after the commit.

    .venv/bin/python scripts/http_lines.py 9219b55 678d761 ...

The client library's own files (client/node.py, models.py, local.py, jobs.py) and tests/client/ are
left out: they are the library, not code it replaced. The pattern is a heuristic; read the diffs.
"""
from __future__ import annotations

import io
import re
import subprocess
import sys
import tokenize

HTTP = re.compile(
    r"requests\.|\.json\(\)|status_code|Session\(\)|raise_for_status|urlopen|urllib\.request|\.headers\b|"
    r"RequestException|\b(s|fs|session|session\(\))\.(get|post|request)\(|"
    r"\b(host|node|a|b|c|other|silent|advertised|tie_miner)\.(get|post)\(|\b_call\(|\b_post\(|\b_get\(")
LIBRARY = ("client/node.py", "client/models.py", "client/local.py", "client/jobs.py", "client/__init__.py",
           "tests/client/")


def code_lines(text: str) -> list[str]:
    """Each line's tokens without comments, every string literal as S."""
    lines: dict[int, list[str]] = {}
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError):
        return [line.split("#")[0] for line in text.splitlines()]
    skip = (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER)
    for token in tokens:
        if token.type not in skip:
            lines.setdefault(token.start[0], []).append("S" if token.type == tokenize.STRING else token.string)
    return ["".join(parts) for parts in lines.values()]


def http_lines(rev: str, path: str) -> int:
    shown = subprocess.run(["git", "show", f"{rev}:{path}"], capture_output=True, text=True)
    text = shown.stdout if shown.returncode == 0 else ""
    return sum(1 for line in code_lines(text) if HTTP.search(line))


def main(commits: list[str]) -> int:
    total = 0
    for commit in commits:
        title = subprocess.run(["git", "log", "-1", "--format=%h %s", commit], capture_output=True, text=True,
                               check=True).stdout.strip()
        print(title[:100])
        numstat = subprocess.run(["git", "show", "--format=", "--numstat", commit], capture_output=True, text=True,
                                 check=True).stdout
        for row in numstat.splitlines():
            added, deleted, path = row.split("\t")
            if not path.endswith(".py") or path.startswith(LIBRARY):
                continue
            before, after = http_lines(f"{commit}^", path), http_lines(commit, path)
            total += before - after
            print(f"  {path:42} lines -{deleted:>4} +{added:>4}   HTTP lines {before:3} -> {after:3}")
    print(f"hand-written HTTP lines removed, in all: {total}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
