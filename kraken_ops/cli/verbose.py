"""``-v``: log HTTP requests (method, URL, status) on stderr, with secrets redacted.

``-v`` works before the command (``kraken-ops -v market time``) and after it
(``kraken-ops market time -v``): the root callback and the command wrapper of
:mod:`kraken_ops.cli.context` both call :func:`enable`. Headers and bodies are never
logged (API keys and signatures travel in headers, private parameters in bodies);
query strings and URLs are still passed through :func:`redact`, in case a raw
``kraken-ops spot URL`` carries a credential.
"""

from __future__ import annotations

import re
import sys
from typing import Any

LOGGERS = ("urllib3", "kraken_ops")

# key=value pairs whose value is a secret (query strings, form bodies, log messages).
_SECRET_PARAM = re.compile(
    r"(?i)\b(api[-_]?key|api[-_]?sign|apikey|authent|secret(?:[-_]?key)?|otp|password|passphrase|signature|token)"
    r"(\s*[=:]\s*)(\"?)[^&\s\"',;]+"
)
_URL_USERINFO = re.compile(r"(?i)\b(https?|wss?)://[^/\s@]+@")

_active = [False]  # whether the running invocation asked for -v (handlers stay installed in-process)


def redact(text: str) -> str:
    """``text`` with credential values and URL user-info replaced by ``***``.

    >>> redact("GET /x?otp=123456&pair=XBTUSD")
    'GET /x?otp=***&pair=XBTUSD'
    """
    text = _URL_USERINFO.sub(lambda m: f"{m.group(1)}://***@", text)
    return _SECRET_PARAM.sub(lambda m: f"{m.group(1)}{m.group(2)}{m.group(3)}***", text)


def set_active(on: bool) -> bool:
    """Turn HTTP logging on or off for the running invocation; returns the previous state."""
    previous = _active[0]
    _active[0] = on
    return previous


def enable() -> None:
    """Install the stderr handler (once per process) and turn logging on."""
    import logging

    class _StderrHandler(logging.Handler):
        """Writes to the *current* sys.stderr (which tests and pipes may replace)."""

        def emit(self, record: logging.LogRecord) -> None:
            if not _active[0]:
                return
            try:
                sys.stderr.write(redact(self.format(record)) + "\n")
            except (ValueError, OSError):
                pass

    set_active(True)
    for name in LOGGERS:
        logger = logging.getLogger(name)
        logger.setLevel(logging.DEBUG)
        if not any(getattr(h, "_kraken_ops", False) for h in logger.handlers):
            handler: Any = _StderrHandler()
            handler._kraken_ops = True
            handler.setFormatter(logging.Formatter("debug: %(name)s: %(message)s"))
            logger.addHandler(handler)
