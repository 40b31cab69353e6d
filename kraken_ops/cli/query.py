"""``--query EXPR``: a JMESPath expression applied to a command's JSON output (as aws-cli does).

* ``-o json`` (or no ``-o``: ``--query`` implies JSON, even on a terminal): the expression
  is applied to the whole document, multi-profile documents (``{profile: result}``)
  included, and its result is printed as JSON.
* ``-o ndjson`` and the NDJSON streams (``kraken-ops stream ...``): applied to each line;
  a line whose result is ``null`` is left out, so an expression can filter lines as well
  as reshape them (``[@][?side=='buy'] | [0]``).
* ``-o table`` / ``-o csv``: the result is printed as rows (a list of objects, a list of
  values or one object).

Numbers stay exact: Kraken's decimal numbers are :class:`~decimal.Decimal` values that the
JMESPath functions accept as numbers, and ``to_number('0.1')`` is ``Decimal('0.1')``, never
a float. ``jmespath`` is imported only when ``--query`` is used (start-up time).

An expression that does not parse is one line on stderr and exit code 2, before anything
is sent to Kraken; one that fails on the data (``sum`` of strings) is a usage error too.
"""

from __future__ import annotations

import functools
import sys
from decimal import Decimal, InvalidOperation
from typing import Any, Iterable

_used = [False]


@functools.lru_cache(maxsize=1)
def _functions() -> Any:
    """jmespath's functions, with :class:`~decimal.Decimal` as a number and exact ``to_number``."""
    from jmespath import functions

    class ExactFunctions(functions.Functions):
        def _get_allowed_pytypes(self, types: Any) -> Any:
            allowed, subtypes = super()._get_allowed_pytypes(types)
            if "int" in allowed:
                allowed = [*allowed, "Decimal"]
            subtypes = [(*group, "Decimal") if "int" in group else group for group in subtypes]
            return allowed, subtypes

        def _convert_to_jmespath_type(self, pyobject: Any) -> Any:
            return "number" if pyobject == "Decimal" else super()._convert_to_jmespath_type(pyobject)

        @functions.signature({"types": []})
        def _func_type(self, arg: Any) -> Any:
            return "number" if isinstance(arg, Decimal) else super()._func_type(arg)

        @functions.signature({"types": []})
        def _func_to_number(self, arg: Any) -> Any:
            if isinstance(arg, (Decimal, int)) and not isinstance(arg, bool):
                return arg
            if isinstance(arg, str):
                try:
                    return int(arg)  # as jmespath does
                except ValueError:
                    pass
                try:
                    number = Decimal(arg.strip())  # where jmespath would take float(arg)
                except InvalidOperation:
                    return None
                return number if number.is_finite() else None
            return super()._func_to_number(arg)

    return ExactFunctions()


@functools.lru_cache(maxsize=8)
def compile_expression(expression: str) -> Any:
    """The parsed expression; ``ValueError`` with a one-line reason when it is invalid."""
    import jmespath
    from jmespath import exceptions

    try:
        parsed = jmespath.compile(expression)
    except exceptions.LexerError as exc:
        raise ValueError(f"{exc.message} at column {exc.lexer_position}") from None
    except exceptions.ParseError as exc:
        reason = "incomplete expression" if isinstance(exc, exceptions.IncompleteExpressionError) else exc.msg
        raise ValueError(f"{reason} at column {exc.lex_position}") from None
    except exceptions.JMESPathError as exc:
        raise ValueError(str(exc).splitlines()[0].rstrip(".")) from None
    known = _functions().FUNCTION_TABLE
    for name in _function_names(parsed.parsed):
        if name not in known:
            raise ValueError(f"unknown function {name}()")
    return parsed


def _function_names(node: Any) -> Iterable[str]:
    if isinstance(node, dict):
        if node.get("type") == "function_expression":
            yield str(node.get("value"))
        for child in node.get("children", []):
            yield from _function_names(child)


def problem(expression: str) -> str | None:
    """Why ``expression`` is not a valid query, or ``None`` when it is."""
    try:
        compile_expression(expression)
    except ValueError as exc:
        return f"invalid --query expression {expression!r}: {exc}"
    return None


def check_or_exit(expression: str) -> None:
    """One line on stderr and exit code 2 when ``expression`` does not parse."""
    reason = problem(expression)
    if reason is not None:
        import typer

        print(f"error: {reason}", file=sys.stderr)
        raise typer.Exit(2)


def search(expression: str, data: Any) -> Any:
    """``expression`` applied to ``data`` (a :class:`UsageProblem` when it fails on the data)."""
    from jmespath import exceptions
    from jmespath.visitor import Options

    from kraken_ops.cli.errors import UsageProblem

    _used[0] = True
    try:
        compiled = compile_expression(expression)
    except ValueError as exc:
        raise UsageProblem(f"invalid --query expression {expression!r}: {exc}") from None
    try:
        return compiled.search(data, options=Options(custom_functions=_functions()))
    except exceptions.JMESPathError as exc:
        raise UsageProblem(f"--query {expression!r} failed on the result: {' '.join(str(exc).split())}") from None


def each(expression: str, values: Iterable[Any]) -> list[Any]:
    """``expression`` applied to each value (NDJSON lines); ``null`` results are left out."""
    out = []
    for value in values:
        result = search(expression, value)
        if result is not None:
            out.append(result)
    return out


def rows_of(result: Any) -> list[dict[str, Any]]:
    """Table or CSV rows for a query's result: a list of objects, a list of values, one object or a value."""
    if isinstance(result, list):
        return [dict(item) if isinstance(item, dict) else {"value": item} for item in result]
    if isinstance(result, dict):
        return [dict(result)]
    return [] if result is None else [{"result": result}]


_reported = [False]


def reset_used() -> None:
    _used[0] = False
    _reported[0] = False


def was_used() -> bool:
    """Whether a query was applied since :func:`reset_used` (a command that printed no JSON did not)."""
    return _used[0]


def warn_if_unused() -> None:
    """One warning on stderr when a query was given but no JSON went through it (once per command line)."""
    if not _used[0] and not _reported[0]:
        print("warning: --query was not applied: this command printed no JSON", file=sys.stderr)
    _reported[0] = True
