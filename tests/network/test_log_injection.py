"""Nothing a client sends can write a line of its own into a real node's log (api/logsafe.py):
CR, LF, ESC and the other C0 and C1 controls arrive escaped, one request one line."""
import logging
import re
import socket
import time

import pytest

from api.logsafe import EscapeControls, clean

pytestmark = pytest.mark.network

FORGED = "2026-12-02 16:00:00,000 network INFO accepted block 999 from http://10.0.0.1:5000"
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200b\ufeff]")  # but \t\n


def raw_get(node, target: bytes) -> bytes:
    """A request line sent byte for byte, as an attacker's client would."""
    with socket.create_connection(("127.0.0.1", node.port), timeout=30) as s:
        s.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    return data


def wait_for_log(node, text, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in node.log():
            return node.log()
        time.sleep(0.05)
    raise AssertionError(f"{text!r} never reached the log:\n{node.log()[-2000:]}")


def test_a_forged_line_in_a_path_stays_inside_one_escaped_line(start_node):
    node = start_node("logged", difficulty=2)
    forged = FORGED.replace(" ", "%20").encode()
    targets = [b"/nothing%0a" + forged, b"/nothing%0d%0a" + forged, b"/nothing%0d" + forged,
               b"/block/abc%0a" + forged, b"/nothing%1b%5b2J%1b%5bH" + forged,   # ESC: clear the terminal
               b"/nothing%c2%85" + forged, b"/nothing%e2%80%a8" + forged, b"/nothing%00%7f" + forged]
    for i, target in enumerate(targets):
        answer = raw_get(node, target + f"-{i}".encode())
        assert answer.startswith(b"HTTP/1.1 404"), answer[:200]
    log = wait_for_log(node, f"-{len(targets) - 1}")
    lines = log.splitlines()
    assert not [line for line in lines if line.startswith("2026-12-02 16:00:00,000")]  # no forged line
    for i in range(len(targets)):
        mine = [line for line in lines if line.endswith(f"-{i}") or f"-{i}:" in line]
        assert len(mine) == 1 and "refused GET /" in mine[0], (i, mine)
    assert "\\x0a2026-12-02" in log and "\\x0d\\x0a2026" in log and "\\x1b[2J" in log and "\\x85" in log
    assert "\\u2028" in log and "\\x00\\x7f" in log
    assert CONTROL.search(log) is None


def test_clean_escapes_every_c0_and_c1_control_and_keeps_the_rest():
    text = "".join(chr(c) for c in range(0x00, 0xA0)) + "\u2028\u2029é€✓"
    escaped = clean(text)
    assert CONTROL.search(escaped) is None and "\n" not in escaped and "\t" not in escaped
    assert escaped.endswith("\\u2028\\u2029é€✓") and " !\"#$%&" in escaped and "\\x0a" in escaped


def test_the_filter_escapes_arguments_of_any_logger(caplog):
    logger = logging.getLogger("network.test")
    handler = logging.Handler()
    handler.addFilter(EscapeControls())
    records = []
    handler.emit = records.append
    logger.addHandler(handler)
    try:
        logger.warning("peer %s misbehaved: %s", "http://a:1", "bad\nfake line\x1b[31m")
    finally:
        logger.removeHandler(handler)
    assert records[0].getMessage() == "peer http://a:1 misbehaved: bad\\x0afake line\\x1b[31m"


def test_bidi_and_zero_width_characters_are_escaped_and_a_long_path_is_cut(start_node):
    """U+202E (right-to-left override) would make a log line read backwards; U+200B and U+FEFF hide
    text. A 200,000-character path is logged cut to a bounded length, with its size."""
    node = start_node("logged-unicode", difficulty=2)
    assert raw_get(node, b"/zz%E2%80%AEabc%E2%81%A6%E2%80%8B%EF%BB%BF-end").startswith(b"HTTP/1.1 404")
    log = wait_for_log(node, "-end")
    assert "\\u202e" in log and "\\u2066" in log and "\\u200b" in log and "\\ufeff" in log
    assert CONTROL.search(log) is None
    size = len(node.log())
    assert raw_get(node, b"/" + b"a" * 200_000 + b"-long").startswith(b"HTTP/1.1 ")
    log = wait_for_log(node, "more characters)")
    assert len(log) - size < 10_000, len(log) - size
