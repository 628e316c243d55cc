"""Settling the largest training job the bounds allow, in the page's verifier, in a real browser.

    .venv/bin/python -m bench.job_settlement_browser [--repeats 7]

The same shapes, models and test sets as ``bench.job_settlement`` (16 models at each kind's costliest
shape on the largest test set it allows, seed 1), timed in headless Chromium through
``settlementOf`` of web/jobs_rules.js: what web/verify.js runs for every JOB_SETTLE it checks (each
revealed model scored with web/kinds.js, then the settlement's arithmetic and its canonical form).
The page is served from web/ by a local static server; nothing else runs. Medians of the repeats of
one run, in ms. Writes bench/results/job_settlement_browser.json.
"""
from __future__ import annotations

import argparse
import functools
import json
import random
import statistics
import tempfile
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from bench.job_settlement import X, model, shapes
from blockchain.jobs import MAX_COMMITS
from ml import kinds

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "results" / "job_settlement_browser.json"
PAGE = b"<!doctype html><title>job settlement</title>"
SCRIPT = """
const [job, repeats, done] = arguments;
import("/web/jobs_rules.js").then(async (m) => {
  const { canon } = await import("/web/kinds.js");
  const times = [];
  let out;
  for (let r = 0; r < repeats; r++) {
    const t = performance.now();
    out = m.settlementOf(job);
    canon(out);
    times.push(performance.now() - t);
  }
  done({ times, scores: out.scores.map((s) => s[1]) });
}, (e) => done({ error: String(e) }));
"""


class Handler(SimpleHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        if self.path == "/":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(PAGE)))
            self.end_headers()
            self.wfile.write(PAGE)
            return
        super().do_GET()


def run(repeats: int = 7, seed: int = 1) -> dict[str, Any]:
    from testkit.browser import MISSING, chromium
    if MISSING is not None:
        raise SystemExit(f"this benchmark needs Chromium: {MISSING}")
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(ROOT)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    profile = tempfile.TemporaryDirectory(prefix="bench-chromium-")
    driver = chromium(Path(profile.name))
    driver.set_script_timeout(600)
    rnd = random.Random(seed)
    results = []
    try:
        driver.get(f"http://127.0.0.1:{server.server_address[1]}/")
        for name, kind, f, c in shapes():
            t_rows = min(kinds.MAX_TEST_ROWS, kinds.MAX_TEST_CELLS // f)
            models = [model(rnd, kind, f, c) for _ in range(MAX_COMMITS)]
            rows = [[rnd.randint(-X, X) for _ in range(f)] for _ in range(t_rows)]
            labels = [rnd.randrange(c) for _ in range(t_rows)]
            job = {"requester": "req", "bounty": 10**12, "data": {"stake": 10**12},
                   "test": {"rows": rows, "labels": labels, "salt": "00" * 32},
                   "commitments": [{"worker": f"w{i}", "height": 10, "position": i + 1, "revealed": True, "model": m}
                                   for i, m in enumerate(models)]}
            answer = driver.execute_async_script(SCRIPT, job, repeats)
            if "error" in answer:
                raise RuntimeError(answer["error"])
            assert answer["scores"] == kinds.scores(models, rows, labels), "the page's verifier scored differently"
            row = {"shape": name, "models": len(models), "test_rows": t_rows, "features": f,
                   "browser_median_ms": round(statistics.median(answer["times"]), 1),
                   "browser_max_ms": round(max(answer["times"]), 1)}
            results.append(row)
            print(f"{name:36} {t_rows:4} test rows x {len(models)} models: browser {row['browser_median_ms']:7.1f} ms",
                  flush=True)
    finally:
        driver.quit()
        server.shutdown()
        server.server_close()
        profile.cleanup()
    return {"repeats": repeats, "seed": seed, "budget_ms": 100, "browser": "headless Chromium", "shapes": results}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    result = run(args.repeats)
    args.out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    worst = max(r["browser_median_ms"] for r in result["shapes"])
    print(f"worst median in the browser's verifier: {worst} ms; wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
