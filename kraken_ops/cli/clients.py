"""Which accounts a command talks to, the SDK clients for them, and the read runner.

A command names its SDK class as ``"spot.User"`` or ``"futures.Trade"``; the
module is imported only when the command runs (so ``kraken-ops --help`` never
imports an endpoint group). One profile gets the synchronous client; several
profiles (``--profile a --profile b`` or ``--all-profiles``) get the async twins,
queried concurrently, and their results merged (see :meth:`Output.emit_multi`).
"""

from __future__ import annotations

import importlib
from typing import Any, Awaitable, Callable, Mapping

from kraken_ops.cli.context import GlobalOptions, Kind
from kraken_ops.cli.errors import EXIT_PARTIAL, ConfigProblem, PartialFailure, UsageProblem, describe, report
from kraken_ops.cli.output import Output, View


def profile_names() -> list[str]:
    """Names of every configured profile (the config file of ``$KRAKEN_OPS_CONFIG``)."""
    from kraken_ops.profiles.config import read_config

    return read_config().names()


def get_profile(name: str | None) -> Any:
    """The profile ``name`` (``None``: ``$KRAKEN_OPS_PROFILE`` or the default; ``None`` when there is none)."""
    from kraken_ops import profiles

    chosen = profiles.resolve_name(name)
    return profiles.get_profile(chosen) if chosen else None


def targets(options: GlobalOptions) -> list[str | None]:
    """The profiles the command runs on (``[None]``: the default profile or environment keys)."""
    if options.all_profiles:
        names = profile_names()
        if not names:
            raise ConfigProblem("--all-profiles: no profile is configured", hint="add one with: kraken-ops profile add NAME")
        return list(names)
    if len(options.profiles) > 1 and options.kind is not Kind.read:
        raise UsageProblem(f"{options.command_path or 'this command'} takes one --profile, not {len(options.profiles)}")
    return list(options.profiles) or [None]


def client_class(spec: str, *, asynchronous: bool = False) -> type:
    """The SDK class for ``"spot.User"`` (or its async twin ``AsyncUser``)."""
    market, name = spec.split(".")
    module = importlib.import_module(f"kraken_ops.{market}.{name.lower()}")
    return getattr(module, f"Async{name}" if asynchronous else name)


def make_client(spec: str, profile: str | None, options: GlobalOptions, *, asynchronous: bool = False) -> Any:
    """An SDK client of ``spec`` for ``profile`` (keyring secret, shared nonce store).

    With no profile chosen anywhere and no ``KRAKEN_OPS_API_KEY``, a public command
    gets an anonymous production client; a private one gets the profile error.
    """
    cls = client_class(spec, asynchronous=asynchronous)
    overrides: dict[str, Any] = {}
    if options.timeout is not None:
        overrides["timeout"] = options.timeout
    if profile is None and options.kind is Kind.public and _nothing_chosen():
        return cls(**overrides)
    return cls.from_profile(profile, public=options.kind is Kind.public, **overrides)


def _nothing_chosen() -> bool:
    import os

    from kraken_ops import profiles

    if os.environ.get("KRAKEN_OPS_API_KEY"):
        return False
    return profiles.resolve_name(None) is None


def close_client(client: Any) -> None:
    closer = getattr(client, "close", None)
    if closer is not None:
        try:
            closer()
        except Exception:
            pass


Fetch = Callable[[Any], Any]


def run_read(spec: str, fetch: Fetch, view: View, options: GlobalOptions, out: Output | None = None) -> Any:
    """Run a read command on one or several profiles and print the (merged) result.

    ``fetch(client)`` performs the SDK call; with an async client it returns a
    coroutine, so one ``fetch`` serves both cases.
    """
    out = out or Output.from_options(options)
    names = targets(options)
    if len(names) == 1 and not options.all_profiles:
        client = make_client(spec, names[0], options)
        try:
            result = fetch(client)
        finally:
            close_client(client)
        out.emit(result, view)
        return result
    import asyncio

    results, errors = asyncio.run(gather_profiles(spec, names, fetch, options))  # type: ignore[arg-type]
    finish_multi(results, errors, view, options, out)
    return results


async def gather_profiles(
    spec: str, names: list[str], fetch: Fetch, options: GlobalOptions, *, display: Any = None
) -> tuple[dict[str, Any], dict[str, BaseException]]:
    """Query every profile concurrently; return ``(results, errors)`` keyed by profile.

    When the profiles take longer than a second, a terminal's stderr shows one line per
    profile, pending or done (:class:`kraken_ops.cli.progress.ProfilesProgress`, or ``display``).
    """
    import asyncio

    from kraken_ops.cli import progress as drawing

    shown = display if display is not None else drawing.ProfilesProgress(names, drawing.console(options))

    async def one(name: str) -> Any:
        client = make_client(spec, name, options, asynchronous=True)
        try:
            value = fetch(client)
            if isinstance(value, Awaitable):
                value = await value
            shown.done(name, True)
            return value
        except BaseException:
            shown.done(name, False)
            raise
        finally:
            closer = getattr(client, "close", None)
            if closer is not None:
                try:
                    await closer()
                except Exception:
                    pass

    timer = asyncio.get_running_loop().call_later(shown.show_after, shown.start) if shown.target is not None else None
    try:
        outcomes = await asyncio.gather(*(one(n) for n in names), return_exceptions=True)
    finally:
        if timer is not None:
            timer.cancel()
        shown.stop()
    results: dict[str, Any] = {}
    errors: dict[str, BaseException] = {}
    for name, outcome in zip(names, outcomes):
        if isinstance(outcome, KeyboardInterrupt):
            raise outcome
        if isinstance(outcome, BaseException):
            errors[name] = outcome
        else:
            results[name] = outcome
    return results, errors


def finish_multi(
    results: Mapping[str, Any], errors: Mapping[str, BaseException], view: View, options: GlobalOptions, out: Output
) -> None:
    """Print merged results, report each failed profile on stderr, raise for the exit code."""
    infos = {name: describe(exc, name) for name, exc in errors.items()}
    out.emit_multi(results, infos, view)
    for name, exc in errors.items():
        report(exc, options, profile=name, envelope=False, show_profile=True)
    if errors and results:
        raise PartialFailure(f"{len(errors)} of {len(errors) + len(results)} profiles failed")
    if errors:
        first = next(iter(infos.values()))
        raise PartialFailure("every profile failed", category="partial" if first.exit_code == EXIT_PARTIAL else _category_for_all(infos))


def _category_for_all(infos: Mapping[str, Any]) -> str:
    """When every profile failed the same way, exit with that category's code."""
    categories = {info.category for info in infos.values()}
    return categories.pop() if len(categories) == 1 else "partial"


# --- conveniences used by the command modules ------------------------------------------------
def read(spec: str, fetch: Fetch, view: View) -> Any:
    """Run a read command with the running command's options."""
    from kraken_ops.cli.context import current

    return run_read(spec, fetch, view, current())


def run_write(
    spec: str,
    description: str,
    action: Fetch,
    view: View,
    *,
    validate: bool = False,
    options: GlobalOptions | None = None,
    out: Output | None = None,
) -> Any:
    """Check the profile (read-only, confirmation), run ``action(client)`` and print the result."""
    from kraken_ops.cli.context import current
    from kraken_ops.cli.safety import confirm_action

    options = options or current()
    out = out or Output.from_options(options)
    name = targets(options)[0]
    profile = get_profile(name)
    confirm_action(options, profile, description, validate=validate)
    client = make_client(spec, name, options)
    try:
        result = action(client)
    finally:
        close_client(client)
    out.emit(result, view)
    return result


def single(spec: str, fetch: Fetch, view: View) -> Any:
    """Run a private command that moves no money on exactly one profile."""
    from kraken_ops.cli.context import current

    options = current()
    out = Output.from_options(options)
    client = make_client(spec, targets(options)[0], options)
    try:
        result = fetch(client)
    finally:
        close_client(client)
    out.emit(result, view)
    return result
