"""Messages for the person running a program: waits, repairs, recovered answers.

kraken-ops tells its user when it waits for a rate limit longer than a second,
repairs a damaged state file or recovers a lost answer. These are log records of
the ``kraken_ops.notice`` logger at WARNING level, so a program that configures
:mod:`logging` decides where they go; without any configuration Python prints the
bare message on stderr. The CLI prints them on stderr as they are.

>>> import logging
>>> logging.getLogger("kraken_ops.notice").setLevel(logging.ERROR)  # silence them  # doctest: +SKIP
"""

from __future__ import annotations

import logging

LOG = logging.getLogger("kraken_ops.notice")


def notify(message: str) -> None:
    """Tell the user ``message`` (one line, no secrets)."""
    LOG.warning(message)


__all__ = ["notify", "LOG"]
