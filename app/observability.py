"""Logging: one format, every line passed through the secret redactor, and an access log that
records method, path (never the query string, which may carry a setup token), status and time."""

from __future__ import annotations

import logging
import sys

from app.vault.redaction import REDACTOR


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = REDACTOR.text(message)
        if record.exc_info and record.exc_info[1] is not None:
            # Exception text can carry secrets too (an httpx error repeats the URL, say).
            record.exc_text = REDACTOR.text(logging.Formatter().formatException(record.exc_info))
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
