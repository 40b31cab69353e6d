"""Money moves only on purpose: read-only profiles, confirmation, ``--yes``.

Every command that creates, edits, amends or cancels orders, withdraws,
transfers or allocates calls :func:`confirm_action` before it sends anything:

* a ``read_only`` profile refuses the command (exit 3);
* Kraken's ``validate`` dry run needs no confirmation;
* ``--yes``, or a profile whose ``confirm`` is false (paper and sandbox profiles
  by default), skips the question;
* otherwise the command shows what it is about to do on stderr and asks, when
  stdin is a terminal; without a terminal it needs ``--yes`` (exit 2).
"""

from __future__ import annotations

import sys
from typing import Any

from kraken_ops.cli.errors import ConfigProblem, UsageProblem


def stdin_is_tty() -> bool:
    """Whether a person can answer a question (tests patch this)."""
    try:
        return sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


def ask(question: str) -> bool:
    """Ask a yes/no question on stderr and read the answer from stdin (default: no)."""
    sys.stderr.write(f"{question} [y/N] ")
    sys.stderr.flush()
    answer = sys.stdin.readline()
    return answer.strip().lower() in ("y", "yes")


def confirm_action(options: Any, profile: Any, description: str, *, validate: bool = False) -> None:
    """Refuse or confirm a money-moving action on ``profile`` (a Profile or ``None``).

    ``None`` means no profile (keys from the environment): treated as production.
    """
    name = getattr(profile, "name", None) or "(environment keys)"
    command = getattr(options, "command_path", "") or "this command"
    if profile is not None and getattr(profile, "read_only", False):
        raise ConfigProblem(
            f"profile {name!r} is read-only and {command} moves money",
            hint=f"use another profile, or allow it with: kraken-ops profile edit {name} --no-read-only",
        )
    if validate:
        return
    needs = getattr(profile, "needs_confirmation", True) if profile is not None else True
    if not needs or getattr(options, "yes", False):
        return
    environment = getattr(profile, "environment", "production") if profile is not None else "production"
    if not stdin_is_tty():
        raise UsageProblem(
            f"{command} on {environment} profile {name!r} needs confirmation",
            hint="pass --yes to confirm without a terminal",
        )
    sys.stderr.write(f"About to {description} on {environment} profile {name!r}.\n")
    if not ask("Proceed?"):
        raise UsageProblem("not confirmed; nothing was sent", hint=None)
