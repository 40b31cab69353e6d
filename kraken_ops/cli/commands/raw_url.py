"""``kraken-ops spot URL`` and ``kraken-ops futures URL``: the raw commands with kraken-ops' options.

The request itself is :func:`kraken_ops.cli.raw.run_raw` (the ``kraken`` command's
engine); this module adds ``--profile``, ``-o`` and kraken-ops' error handling.
"""

from __future__ import annotations

import sys
from typing import Any

from kraken_ops.cli.context import current
from kraken_ops.cli.errors import UsageProblem
from kraken_ops.cli.output import Output


def run_raw_command(market: str, url: str, **kwargs: Any) -> Any:
    """Send the raw request and print the result (binary bodies as bytes)."""
    from kraken_ops.cli import raw

    from kraken_ops.cli.clients import targets

    options = current()
    profile = targets(options)[0]  # one profile: --group and --all-profiles are refused, never narrowed to one
    timeout = options.timeout if options.timeout is not None else 10
    try:
        result = raw.run_raw(market, url, timeout=timeout, profile=profile, **kwargs)  # type: ignore[arg-type]
    except raw.UsageError as exc:
        raise UsageProblem(str(exc)) from None
    emit_raw(result, Output.from_options(options))
    return result


def emit_raw(result: Any, out: Output) -> None:
    """JSON for parsed results; raw bytes (e.g. an export's zip) copied to stdout as they come."""
    if isinstance(result, (bytes, bytearray)):
        sys.stdout.buffer.write(result)
        sys.stdout.flush()
    elif hasattr(result, "iter_content"):
        try:
            for chunk in result.iter_content(65536):
                sys.stdout.buffer.write(chunk)
        finally:
            result.close()
        sys.stdout.flush()
    else:
        out.emit(result)
