"""Log lines that a request or a peer cannot forge: control characters (CR, LF, ESC, the other C0
and C1 codes, DEL, Unicode's line and paragraph separators, and the format characters that reorder
or hide text) are written as escapes, so that one record stays one line, reads as it was written,
and cannot move the cursor of a terminal showing the log; a record longer than MAX_LOGGED
characters is cut, so a long path cannot fill the disk."""
from __future__ import annotations

import logging
import re

# C0, DEL, C1, the line and paragraph separators, and the format characters that reorder or hide
# text on a terminal: bidi embeddings and overrides (U+202A-202E), isolates (U+2066-2069), marks
# (U+200E, U+200F, U+061C), zero-width characters (U+200B-200D, U+2060) and the BOM (U+FEFF).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")
MAX_LOGGED = 2000  # characters of one record's message; the rest is counted, not written


def _escape(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def clean(value) -> str:
    """``str(value)`` with every control character escaped (``\\n`` becomes the four characters ``\\x0a``)."""
    text = str(value)
    if len(text) > MAX_LOGGED:
        text = f"{text[:MAX_LOGGED]}... ({len(text) - MAX_LOGGED} more characters)"
    return _CONTROL.sub(_escape, text)


class EscapeControls(logging.Filter):
    """On a handler: every record's message, with its arguments filled in, is escaped. Tracebacks
    (the node's own) keep their lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        escaped = clean(message)
        if escaped != message or record.args:
            record.msg, record.args = escaped, None
        return True


def install(handlers) -> None:
    for handler in handlers:
        if not any(isinstance(f, EscapeControls) for f in handler.filters):
            handler.addFilter(EscapeControls())
