"""Metadata a command declares next to itself, for the catalog (``kraken-ops commands``).

Most of it comes for free: :func:`kraken_ops.cli.context.command` records the command's
``kind`` (public, read, private, write), and the catalog derives from it whether the
command needs an API key, whether it moves money and whether it is read-only. A
command's examples are the ``Example: ...`` lines of its docstring. :func:`annotate`
states what the kind cannot (or what a plain ``@app.command`` has no kind for)::

    @account_app.command("remove")
    @annotate(needs_key=False, read_only=False, dangerous=True)
    def account_remove(...): ...

Put ``@annotate`` below ``@command``/``@app.command`` (closest to the function), so the
decorators above see the metadata. This module imports nothing: command modules import
it on every run.
"""

from __future__ import annotations

from typing import Any, Callable, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

ATTRIBUTE = "kraken_ops_meta"
FIELDS = ("kind", "needs_key", "moves_money", "read_only", "dangerous")


def annotate(
    *,
    needs_key: bool | None = None,
    moves_money: bool | None = None,
    read_only: bool | None = None,
    dangerous: bool | None = None,
) -> Callable[[F], F]:
    """Declare what a command does when its ``kind`` does not say it (``None``: derive it).

    * ``needs_key``: it sends a signed request (a profile with an API key).
    * ``moves_money``: it places, changes or cancels orders, withdraws, transfers, allocates.
    * ``read_only``: it changes nothing, at Kraken or on this machine.
    * ``dangerous``: it destroys state or moves money (MCP asks for an acknowledgement).
    """

    values = {"needs_key": needs_key, "moves_money": moves_money, "read_only": read_only, "dangerous": dangerous}

    def decorate(func: F) -> F:
        record(func, **{k: v for k, v in values.items() if v is not None})
        return func

    return decorate


def record(func: Any, **values: Any) -> None:
    """Merge ``values`` into ``func``'s metadata (used by ``context.command`` for ``kind``)."""
    unknown = set(values) - set(FIELDS)
    if unknown:
        raise TypeError(f"unknown command metadata: {', '.join(sorted(unknown))}")
    current = dict(getattr(func, ATTRIBUTE, None) or {})
    current.update(values)
    setattr(func, ATTRIBUTE, current)


def of(func: Any) -> dict[str, Any]:
    """The metadata recorded on ``func`` (or on the function it wraps); empty when none."""
    seen = 0
    while func is not None and seen < 5:
        found = getattr(func, ATTRIBUTE, None)
        if found:
            return dict(found)
        func = getattr(func, "__wrapped__", None)
        seen += 1
    return {}
