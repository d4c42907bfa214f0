"""Logging: one format, every line passed through the secret redactor, and an access log that
records method, path (never the query string, which may carry a setup token), status and time."""

from __future__ import annotations

import logging
import re
import sys

from app.vault.redaction import REDACTOR

# C0 and C1 control characters, DEL, and the Unicode line and paragraph separators: any of them
# in a logged value (a request path with %0A, say) could start what looks like a new log line.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def escape_control(text: str) -> str:
    """The text on one line: control characters written as escapes (``\\n``, ``\\x1b``)."""
    return _CONTROL.sub(lambda m: _NAMED.get(m.group(), f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                                            else f"\\u{ord(m.group()):04x}"), text)


class RedactingFilter(logging.Filter):
    """Redacts secrets and escapes control characters in every message, so one record is one line
    (a traceback, kept as the formatter writes it, follows on lines of its own)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = escape_control(REDACTOR.text(message))
        if record.exc_info and record.exc_info[1] is not None:
            # Exception text can carry secrets too (an httpx error repeats the URL, say).
            # Each line of the traceback indented and escaped: an exception message with a newline in
            # it cannot start a line that looks like a record of its own (records start with the time).
            text = REDACTOR.text(logging.Formatter().formatException(record.exc_info))
            record.exc_text = "\n".join("  " + escape_control(line) for line in text.split("\n"))
            record.exc_info = None
        record.msg = redacted
        record.args = None
        return True


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level.upper())
    # Our own access log replaces uvicorn's, which prints query strings.
    logging.getLogger("uvicorn.access").disabled = True
    for name in ("uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers = []
        logger.propagate = True
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
