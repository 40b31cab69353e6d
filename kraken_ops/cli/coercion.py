"""Option values without pydantic on the common paths (start-up time).

typer 0.29 coerces every option value, even an absent one, through a pydantic
``TypeAdapter`` that it builds on first use; importing pydantic and building the
adapters costs about 80 ms, more than a whole ``kraken-ops market time`` otherwise
needs. :func:`enable` gives every typer parameter a
:class:`DeferredRuntimeParam` that handles the values a command line actually
carries (absent values, plain strings, numbers written as digits, enum choices,
lists of those) exactly as typer's adapter would, and hands everything else (an
invalid value, a path, a value outside ``min``/``max``) to typer's own adapter, so
error messages stay typer's.

typer offers no public hook for this, so the module relies on a private one:
``typer.core._TyperParameter.get_runtime_param`` and the ``typer._coercion`` runtime
parameters. To survive a typer upgrade:

* pyproject.toml pins typer to the tested range (:data:`TESTED_TYPER`);
* :func:`problems` compares the private API with the one this module was written for
  (names, dataclass fields, signatures); :func:`enable` does nothing unless it matches,
  so a changed typer costs start-up time, never correctness;
* ``tests/cli/test_startup.py`` fails with :func:`problems`' list when it does not
  match, and checks that ``kraken-ops market time`` imports no pydantic.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import re
from dataclasses import dataclass
from enum import Enum
from typing import Any, get_args, get_origin

TESTED_TYPER = ">=0.29.0,<0.30"  # the range pyproject.toml pins; update both together

try:  # typer's private coercion layer (typer 0.29)
    from typer._coercion import RuntimeParam, TypeDescriptor, build_runtime_param
    from typer._param_types import coerce_cli_choice
except ImportError as _exc:  # pragma: no cover - another typer: nothing to speed up
    RuntimeParam = None  # type: ignore[assignment,misc]
    _IMPORT_PROBLEM: str | None = f"typer._coercion/typer._param_types: {_exc}"
else:
    _IMPORT_PROBLEM = None

_INT = re.compile(r"[+-]?[0-9]+\Z")
_FLOAT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)\Z")
_MISS = object()


def _leaf(annotation: Any, info: Any, value: Any, ctx: Any) -> Any:
    """``value`` coerced to ``annotation`` when that is certain, else ``_MISS``."""
    if info.parser is not None:
        return _MISS
    if annotation is str:
        return value if isinstance(value, str) else _MISS
    if annotation is bool:
        return value if isinstance(value, bool) else _MISS
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        try:
            return coerce_cli_choice(value, choices=list(annotation), case_sensitive=info.case_sensitive, ctx=ctx)
        except ValueError:
            return _MISS
    if annotation in (int, float) and not info.clamp:
        if isinstance(value, str) and (_INT if annotation is int else _FLOAT).match(value):
            number = annotation(value)
        elif type(value) is annotation:
            number = value
        else:
            return _MISS
        if (info.min is not None and number < info.min) or (info.max is not None and number > info.max):
            return _MISS  # typer's adapter words the error
        return number
    return _MISS


def check_number_grammar(annotation: Any, value: Any, param: Any) -> None:
    """One line and exit 2 for an int or float option written other than with ASCII digits.

    Python (and so typer's pydantic adapter) reads ``1_000``, ``１２`` and ``1e3`` as
    numbers; Kraken does not, and neither does kraken-ops.
    """
    from kraken_ops.cli.params import parse_float, parse_integer, usage_error

    if get_origin(annotation) is list:
        (annotation,) = get_args(annotation) or (Any,)
    elif get_origin(annotation) is not None:  # Optional[int]
        inner = [a for a in get_args(annotation) if a is not type(None)]
        annotation = inner[0] if len(inner) == 1 else annotation
    if annotation not in (int, float):
        return
    for item in value if isinstance(value, (list, tuple)) else [value]:
        if isinstance(item, str):
            try:
                (parse_integer if annotation is int else parse_float)(item)
            except ValueError as exc:
                usage_error(param, item, str(exc))


def fast_coerce(annotation: Any, info: Any, value: Any, ctx: Any = None) -> Any:
    """The coerced value, or ``_MISS`` when typer's own adapter must decide."""
    if get_origin(annotation) is list:
        (item_type,) = get_args(annotation) or (Any,)
        items = value if isinstance(value, (list, tuple)) else [value]
        out = [_leaf(item_type, info, item, ctx) for item in items]
        return _MISS if any(item is _MISS for item in out) else out
    return _leaf(annotation, info, value, ctx)


def _parameters(func: Any) -> list[str]:
    return list(inspect.signature(func).parameters)


@functools.cache
def problems() -> tuple[str, ...]:
    """How typer's private coercion API differs from what this module expects (empty: it matches)."""
    if _IMPORT_PROBLEM is not None:
        return (_IMPORT_PROBLEM,)
    found: list[str] = []

    def expect(what: str, got: Any, wanted: Any) -> None:
        if got != wanted:
            found.append(f"{what} is {got!r}, expected {wanted!r}")

    try:
        from typer.core import _TyperParameter
        from typer.models import ParameterInfo

        expect("dataclass fields of typer._coercion.RuntimeParam", [f.name for f in dataclasses.fields(RuntimeParam)], ["parameter_info", "annotation"])
        expect("RuntimeParam is frozen", RuntimeParam.__dataclass_params__.frozen, True)  # type: ignore[attr-defined]
        expect("parameters of RuntimeParam._coerce_value", _parameters(RuntimeParam._coerce_value), ["self", "value", "param", "ctx"])
        expect("parameters of typer._coercion.build_runtime_param", _parameters(build_runtime_param), ["descriptor"])
        expect(
            "dataclass fields of typer._coercion.TypeDescriptor",
            [f.name for f in dataclasses.fields(TypeDescriptor)],
            ["annotation", "parameter_info", "file_annotation"],
        )
        expect("parameters of typer._param_types.coerce_cli_choice", _parameters(coerce_cli_choice), ["value", "choices", "case_sensitive", "ctx"])
        expect("parameters of typer.core._TyperParameter.get_runtime_param", _parameters(_TyperParameter.get_runtime_param), ["self"])
        missing = [a for a in ("parser", "min", "max", "clamp", "case_sensitive") if not hasattr(ParameterInfo(), a)]
        expect("ParameterInfo attributes missing", missing, [])
    except (AttributeError, TypeError, ValueError, ImportError) as exc:
        found.append(f"{type(exc).__name__}: {exc}")
    return tuple(found)


if RuntimeParam is not None and not problems():

    @dataclass(frozen=True)
    class DeferredRuntimeParam(RuntimeParam):  # type: ignore[misc,valid-type]
        """typer's runtime coercion, with pydantic built only when a value needs it."""

        descriptor: Any = None

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            result = fast_coerce(self.annotation, self.parameter_info, value, ctx)
            if result is not _MISS:
                return result
            check_number_grammar(self.annotation, value, param)
            real = build_runtime_param(self.descriptor)
            param._runtime_param = real
            return real._coerce_value(value, param=param, ctx=ctx)


_enabled = [False]


def enable() -> None:
    """Give every typer parameter the deferred coercion from now on (idempotent).

    Patches ``typer.core._TyperParameter.get_runtime_param`` (typer builds a parameter's
    coercion lazily there), so that options created late (``--help``, the completion
    options) are covered too. Called when ``kraken-ops`` parses its command line, not
    on import. Does nothing when typer's private API is not the expected one
    (:func:`problems`): typer then coerces through pydantic, as it would without us.
    """
    if _enabled[0] or RuntimeParam is None or problems():
        return
    from typer.core import _TyperParameter

    original = _TyperParameter.get_runtime_param

    def get_runtime_param(self: Any) -> Any:
        descriptor = getattr(self, "type_descriptor", None)
        if getattr(self, "_runtime_param", False) is None and descriptor is not None and descriptor.file_annotation is None:
            self._runtime_param = DeferredRuntimeParam(parameter_info=descriptor.parameter_info, annotation=descriptor.annotation, descriptor=descriptor)
        return original(self)

    _TyperParameter.get_runtime_param = get_runtime_param  # type: ignore[method-assign]
    _enabled[0] = True
