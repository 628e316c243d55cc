"""Screenshots of the dashboard from a real run, for the README:
``.venv/bin/python scripts/screenshots.py [--out docs/screenshots]`` (needs Debian's chromium and
chromium-driver).

Two real nodes at difficulty 2: flowers go in over a few blocks, some of them mislabelled so that
the accuracy moves, one with a deposit; the second node is registered as a peer. Then the
overview, the blocks, the model page with a prediction, and a verification are captured.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from testkit.browser import chromium  # noqa: E402
from testkit.nodes import NodeProcess  # noqa: E402

Sample = tuple[str, tuple[float, ...]]  # (label, the four measurements in cm)
GOOD: list[Sample] = [
    ("setosa", (5.1, 3.5, 1.4, 0.2)), ("versicolor", (6.1, 2.8, 4.7, 1.2)), ("virginica", (6.3, 3.3, 6.0, 2.5)),
    ("versicolor", (5.7, 2.8, 4.1, 1.3)), ("setosa", (4.9, 3.0, 1.4, 0.2)), ("virginica", (7.2, 3.0, 5.8, 1.6))]
BASE = json.loads((ROOT / "ml" / "data" / "iris-base.json").read_text())
# Three copies of two test rows under a wrong label: those test rows are then mispredicted.
WRONG: list[Sample] = [
    ("virginica" if BASE["test_labels"][t] != "virginica" else "setosa", tuple(float(x) for x in BASE["test"][t]))
    for t in (0, 1) for _ in range(3)]
NAMES = ("sepal_length", "sepal_width", "petal_length", "petal_width")


def flower(sender, label, features, deposit=0):
    return {"sender": sender, **dict(zip(NAMES, features, strict=True)), "flower_type": label, "deposit": deposit}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python scripts/screenshots.py",
                                     description="Take the README's screenshots of the dashboard from a real run.")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots", help="where to write the PNG files")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="iris-shots-"))
    a = NodeProcess(work, "a", difficulty=2, extra_args=("--miners", "0")).start()
    b = NodeProcess(work, "b", difficulty=2, extra_args=("--miners", "0")).start()
    driver = chromium(work / "profile")
    try:
        a.post("/nodes/register", json={"nodes": [b.url]})

        def in_step():
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and a.get("/tip").json()["hash"] != b.get("/tip").json()["hash"]:
                time.sleep(0.1)
        for i, (label, features) in enumerate(GOOD[:3]):
            a.post("/flower/add", json=flower(f"botanist_{i}", label, features))
        a.post("/mine")
        for i, (label, features) in enumerate(WRONG):
            a.post("/flower/add", json=flower(f"mallory_{i}", label, features))
        a.post("/mine")
        for i, (label, features) in enumerate(GOOD[3:]):
            a.post("/flower/add", json=flower(f"botanist_{i + 3}", label, features, deposit=1 if i == 0 else 0))
        in_step()
        b.post("/mine")  # the peer mines: its block comes over by gossip
        in_step()
        a.post("/mine")
        in_step()
        a.post("/flower/add", json=flower("botanist_9", "virginica", (6.4, 2.8, 5.6, 2.1)))

        def page(hash_, name, before=None):
            driver.get(a.url + "/" + hash_)
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and not driver.find_elements("css selector", "main h1"):
                time.sleep(0.1)
            time.sleep(0.8)
            if before:
                before()
            height = driver.execute_script("return document.documentElement.scrollHeight")
            driver.set_window_size(1280, min(max(height + 40, 700), 1800))
            driver.execute_script("window.scrollTo(0, 0)")
            time.sleep(0.3)
            driver.save_screenshot(str(args.out / f"{name}.png"))
            driver.set_window_size(1280, 900)
            print(f"wrote {args.out / (name + '.png')}")

        page("", "overview")
        page("#/blocks", "blocks")

        def predict():
            form = driver.find_element("css selector", '[data-testid="predict-form"]')
            for name, value in zip(NAMES, WRONG[0][1], strict=True):
                form.find_element("css selector", f'[name="{name}"]').send_keys(str(value))
            form.find_element("css selector", "button").click()
            time.sleep(1)
        page("#/model", "model", predict)

        def run_verify():
            driver.find_element("css selector", '[data-testid="verify-button"]').click()
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not driver.find_element(
                    "css selector", '[data-testid="verify-result"]').text.startswith(("valid", "INVALID")):
                time.sleep(0.1)
        page("#/verify", "verify", run_verify)
        driver.set_window_size(390, 844)  # phone width, after the replay: the strip shows its marks
        driver.execute_script("location.hash = '#/'")  # the same page: a reload would forget the replay
        time.sleep(1.5)
        driver.save_screenshot(str(args.out / "phone-overview.png"))
        print(f"wrote {args.out / 'phone-overview.png'}")
    finally:
        driver.quit()
        a.stop()
        b.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
