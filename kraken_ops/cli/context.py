"""Global options shared by every command, and the decorator that adds them.

Every ``kraken-ops`` command accepts the global options (``--profile``, ``-o``,
``--json``, ``--query``, ``-v``, ``--no-color``, ``--yes``, ``--timeout``, ``--all-profiles``)
both before the group (``kraken-ops -o json orders list``) and after the command
(``kraken-ops orders list -o json``). The root callback stores the first set in
``ctx.obj``; :func:`command` appends the same options to each command's signature,
merges both sets into one :class:`GlobalOptions` and runs the command inside the
error handler of :mod:`kraken_ops.cli.errors`.

A command body calls :func:`current` to read the merged options.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
import os
import typing
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any, Callable, Optional

import typer

from kraken_ops.cli import meta

OUTPUT_FORMATS = ("table", "wide", "json", "ndjson", "csv")


class OutputFormat(str, Enum):
    """Values of ``-o/--output`` (``wide``: the table with every column, however wide)."""

    table = "table"
    wide = "wide"
    json = "json"
    ndjson = "ndjson"
    csv = "csv"


class Kind(str, Enum):
    """What a command does, which decides the options it takes and the safety rules.

    * ``public``: no key needed (market data); one profile (it selects the environment).
    * ``read``: private reads; several ``--profile`` and ``--all-profiles`` allowed.
    * ``private``: private, one profile, no money moves (exports, status queries).
    * ``write``: moves money; one profile, confirmation, ``--yes``.
    """

    public = "public"
    read = "read"
    private = "private"
    write = "write"


@dataclass
class GlobalOptions:
    """The global options after merging root-level and command-level values."""

    profiles: list[str] = field(default_factory=list)
    all_profiles: bool = False
    output: str | None = None  # None = table on a terminal, JSON otherwise
    verbose: bool = False
    no_color: bool = False
    yes: bool = False
    timeout: float | None = None
    query: str | None = None  # a JMESPath expression applied to JSON output (kraken_ops.cli.query)
    kind: Kind = Kind.public
    command_path: str = ""

    @property
    def color(self) -> bool:
        """Whether colour is allowed (``--no-color`` and ``NO_COLOR`` turn it off)."""
        return not self.no_color and not os.environ.get("NO_COLOR")

    @property
    def multi(self) -> bool:
        """Whether the command targets more than one profile."""
        return self.all_profiles or len(self.profiles) > 1

    def merged(self, other: GlobalOptions) -> GlobalOptions:
        """``self`` (root) overridden by the values ``other`` (command) sets explicitly."""
        return replace(
            self,
            profiles=list(self.profiles) + [p for p in other.profiles if p not in self.profiles],
            all_profiles=self.all_profiles or other.all_profiles,
            output=other.output or self.output,
            verbose=self.verbose or other.verbose,
            no_color=self.no_color or other.no_color,
            yes=self.yes or other.yes,
            timeout=other.timeout if other.timeout is not None else self.timeout,
            query=other.query if other.query is not None else self.query,
        )


_current: contextvars.ContextVar[GlobalOptions | None] = contextvars.ContextVar("kraken_ops_cli_options", default=None)


def current() -> GlobalOptions:
    """The merged global options of the running command (defaults outside a command)."""
    value = _current.get()
    return value if value is not None else GlobalOptions()


def set_current(options: GlobalOptions) -> contextvars.Token[GlobalOptions | None]:
    """Install ``options`` as the running command's options (tests use this with run functions)."""
    return _current.set(options)


def _complete_profile(incomplete: str) -> list[str]:
    try:
        from kraken_ops.cli.clients import profile_names

        return [name for name in profile_names() if name.startswith(incomplete)]
    except Exception:  # completion must never fail loudly
        return []


# --- the options themselves: one table, used by the root callback and by every command --------
def _profile_option(repeatable: bool) -> Any:
    help_text = "Profile to use (repeat for several accounts)." if repeatable else "Profile to use."
    from kraken_ops.cli.params import profile_name

    return typer.Option(
        [] if repeatable else None,
        "--profile",
        "-p",
        help=help_text,
        metavar="NAME",
        envvar=None,
        autocompletion=_complete_profile,
        callback=profile_name,  # --profile '' is a mistake, never "the default profile"
        show_default=False,
    )


QUERY_HELP = "Filter the JSON output with a JMESPath expression."


def _check_query(value: Optional[str]) -> Optional[str]:
    """Option callback of ``--query``: compile the expression now, before anything is sent."""
    if value is not None:
        from kraken_ops.cli import query

        query.check_or_exit(value)
    return value


def _query_option() -> Any:
    return typer.Option(None, "--query", help=QUERY_HELP, metavar="EXPR", callback=_check_query, show_default=False)


def _common_params(kind: Kind, taken: frozenset[str] = frozenset()) -> list[inspect.Parameter]:
    """The global options a command of ``kind`` takes, as signature parameters."""
    repeatable = kind in (Kind.read,)
    KW = inspect.Parameter.KEYWORD_ONLY
    params = [
        inspect.Parameter(
            "_g_profile",
            KW,
            default=_profile_option(repeatable),
            annotation=list[str] if repeatable else Optional[str],
        ),
    ]
    if repeatable:
        params.append(
            inspect.Parameter(
                "_g_all_profiles", KW, default=typer.Option(False, "--all-profiles", help="Query every configured profile."), annotation=bool
            )
        )
    params += [
        inspect.Parameter(
            "_g_output",
            KW,
            default=typer.Option(None, "--output", "-o", help="Output format (default: table on a terminal, JSON otherwise).", show_default=False),
            annotation=Optional[OutputFormat],
        ),
        inspect.Parameter("_g_json", KW, default=typer.Option(False, "--json", help="Same as -o json."), annotation=bool),
        inspect.Parameter("_g_query", KW, default=_query_option(), annotation=Optional[str]),
        inspect.Parameter("_g_verbose", KW, default=typer.Option(False, "--verbose", "-v", help="Tracebacks and HTTP details on stderr."), annotation=bool),
        inspect.Parameter("_g_no_color", KW, default=typer.Option(False, "--no-color", help="No colour (also NO_COLOR=1)."), annotation=bool),
        inspect.Parameter(
            "_g_timeout",
            KW,
            default=typer.Option(None, "--timeout", help="HTTP timeout in seconds.", min=0.1, metavar="SECONDS"),
            annotation=Optional[float],
        ),
    ]
    if kind is Kind.write:
        params.append(inspect.Parameter("_g_yes", KW, default=typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."), annotation=bool))
    # a command's own option of the same name wins (the raw commands' --query is python-kraken-sdk's)
    return [p for p in params if not set(getattr(p.default, "param_decls", ()) or ()) & taken]


def _option_names(params: list[inspect.Parameter]) -> frozenset[str]:
    """The option strings (``--query``, ``-q`` ...) that a function's own parameters declare."""
    names: set[str] = set()
    for p in params:
        names.update(getattr(p.default, "param_decls", ()) or ())
    return frozenset(names)


def options_from_kwargs(kwargs: dict[str, Any], kind: Kind) -> GlobalOptions:
    """Pop the ``_g_*`` parameters out of ``kwargs`` into a :class:`GlobalOptions`."""
    profile = kwargs.pop("_g_profile", None)
    profiles = list(profile) if isinstance(profile, (list, tuple)) else ([profile] if profile else [])
    output = kwargs.pop("_g_output", None)
    if kwargs.pop("_g_json", False):
        output = OutputFormat.json
    return GlobalOptions(
        profiles=profiles,
        all_profiles=bool(kwargs.pop("_g_all_profiles", False)),
        output=output.value if isinstance(output, OutputFormat) else output,
        verbose=bool(kwargs.pop("_g_verbose", False)),
        no_color=bool(kwargs.pop("_g_no_color", False)),
        yes=bool(kwargs.pop("_g_yes", False)),
        timeout=kwargs.pop("_g_timeout", None),
        query=kwargs.pop("_g_query", None),
        kind=kind,
    )


def root_options(
    profile: list[str] = _profile_option(True),
    all_profiles: bool = typer.Option(False, "--all-profiles", help="Query every configured profile (read commands)."),
    output: Optional[OutputFormat] = typer.Option(
        None, "--output", "-o", help="Output format (default: table on a terminal, JSON otherwise).", show_default=False
    ),
    json_: bool = typer.Option(False, "--json", help="Same as -o json."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Tracebacks and HTTP details on stderr."),
    no_color: bool = typer.Option(False, "--no-color", help="No colour (also NO_COLOR=1)."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation (commands that move money)."),
    timeout: Optional[float] = typer.Option(None, "--timeout", help="HTTP timeout in seconds.", min=0.1, metavar="SECONDS"),
    query: Optional[str] = None,
) -> GlobalOptions:
    """Build the root-level :class:`GlobalOptions` (called by the app's callback)."""
    return GlobalOptions(
        profiles=list(profile or []),
        all_profiles=all_profiles,
        output="json" if json_ else (output.value if output else None),
        verbose=verbose,
        no_color=no_color,
        yes=yes,
        timeout=timeout,
        query=query,
    )


def inherited() -> GlobalOptions:
    """The global options given before the command (for commands that take none after it)."""
    return _root_of(typer_get_current_context())


def _root_of(ctx: Any) -> GlobalOptions:
    while ctx is not None:
        if isinstance(ctx.obj, GlobalOptions):
            return ctx.obj
        ctx = ctx.parent
    return GlobalOptions()


def command(app: typer.Typer, name: str, kind: Kind | str = Kind.read, **typer_kwargs: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register ``func`` as ``name`` on ``app`` with the global options of ``kind``.

    >>> @command(app, "time", kind="public")  # doctest: +SKIP
    ... def time_() -> None: ...
    """
    kind = Kind(kind)

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        hints = typing.get_type_hints(func, include_extras=True)
        sig = inspect.signature(func)
        own = [p.replace(annotation=hints.get(p.name, p.annotation)) for p in sig.parameters.values()]
        common = _common_params(kind, _option_names(own))
        new_sig = sig.replace(parameters=own + common, return_annotation=inspect.Signature.empty)

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            ctx = typer_get_current_context()
            local = options_from_kwargs(kwargs, kind)
            options = _root_of(ctx).merged(local)
            options.kind = kind
            options.command_path = ctx.command_path if ctx is not None else name
            _enable_verbose(options)
            token = _current.set(options)
            try:
                with _one_otp_question():
                    return _run(options, lambda: func(*args, **kwargs))
            finally:
                _current.reset(token)

        del wrapper.__wrapped__  # typer must see the new signature, not the original one
        wrapper.__signature__ = new_sig  # type: ignore[attr-defined]
        wrapper.__annotations__ = {p.name: p.annotation for p in new_sig.parameters.values()}
        meta.record(wrapper, kind=kind.value)  # for the catalog (kraken-ops commands)
        app.command(name, **typer_kwargs)(wrapper)
        return func

    return decorate


def _one_otp_question() -> Any:
    """A profile with ``otp = "prompt"`` is asked for its 2FA code once per command, however many clients it builds."""
    from kraken_ops._core.otp import prompt_scope

    return prompt_scope()


def _run(options: GlobalOptions, body: Callable[[], Any]) -> Any:
    """Run a command body in the error handler; say so when ``--query`` found no JSON to apply to."""
    from kraken_ops.cli.errors import guarded

    if options.query is None:
        return guarded(options, body)
    from kraken_ops.cli import query

    query.reset_used()
    result = guarded(options, body)
    query.warn_if_unused()
    return result


def _enable_verbose(options: GlobalOptions) -> None:
    """``-v`` after the command turns on HTTP logging just like ``-v`` before it."""
    if options.verbose:
        from kraken_ops.cli import verbose

        verbose.enable()


def typer_get_current_context() -> Any:
    """The running click context, or ``None`` outside a command line."""
    from typer._click.globals import get_current_context

    return get_current_context(silent=True)


def callback(app: typer.Typer, kind: Kind | str = Kind.read, **typer_kwargs: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Like :func:`command`, for a group that also runs on its own (``kraken-ops balances``).

    The body runs only when no subcommand follows; the group's global options are
    handed down to the subcommand either way.
    """
    kind = Kind(kind)

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        hints = typing.get_type_hints(func, include_extras=True)
        sig = inspect.signature(func)
        own = [p.replace(annotation=hints.get(p.name, p.annotation)) for p in sig.parameters.values()]
        new_sig = sig.replace(parameters=own + _common_params(kind, _option_names(own)), return_annotation=inspect.Signature.empty)

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            ctx = typer_get_current_context()
            local = options_from_kwargs(kwargs, kind)
            options = _root_of(ctx).merged(local)
            if ctx is not None and ctx.invoked_subcommand:
                ctx.obj = options
                return None
            options.kind = kind
            options.command_path = ctx.command_path if ctx is not None else ""
            _enable_verbose(options)
            token = _current.set(options)
            try:
                with _one_otp_question():
                    return _run(options, lambda: func(*args, **kwargs))
            finally:
                _current.reset(token)

        del wrapper.__wrapped__
        wrapper.__signature__ = new_sig  # type: ignore[attr-defined]
        wrapper.__annotations__ = {p.name: p.annotation for p in new_sig.parameters.values()}
        meta.record(wrapper, kind=kind.value)
        app.callback(invoke_without_command=True, **typer_kwargs)(wrapper)
        return func

    return decorate
