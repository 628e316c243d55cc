"""Log lines that a request or a peer cannot forge: control characters (CR, LF, ESC, the other C0
and C1 codes, DEL, and Unicode's line and paragraph separators) are written as escapes, so that
one record stays one line and cannot move the cursor of a terminal showing the log."""
from __future__ import annotations

import logging
import re

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _escape(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def clean(value) -> str:
    """``str(value)`` with every control character escaped (``\\n`` becomes the four characters ``\\x0a``)."""
    return _CONTROL.sub(_escape, str(value))


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
