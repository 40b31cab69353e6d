"""Rendering results: JSON, NDJSON, CSV and rich tables, on stdout only.

* JSON is Kraken's result exactly as returned: strings stay strings, and numbers
  Kraken sent as JSON numbers (parsed as :class:`~decimal.Decimal`) are printed as
  their exact text, never through ``float``.
* NDJSON, CSV and tables work on *rows*, produced from the result by the command's
  :class:`View` (a small table of data per command: how to get rows, which columns).
* Several profiles: JSON becomes ``{profile: result}`` (a failed profile holds
  ``{"error": <envelope>}``), rows gain a leading ``profile`` column.

Tables (rich) are imported only when a table is printed.
"""

from __future__ import annotations

from kraken_ops._core.jsonout import dumps as exact_dumps

import sys
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO, Any, Callable, Iterable, Mapping



def dumps(value: Any, indent: int | None = 2) -> str:
    """JSON text for ``value`` with Decimals written as their exact digits.

    One line (``indent=None``) is spaced like :func:`json.dumps`; indented output has no
    trailing spaces.

    >>> dumps({"a": Decimal("0.10"), "b": "1.0"}, indent=None)
    '{"a": 0.10, "b": "1.0"}'
    """
    return exact_dumps(value, indent=indent, separators=(", " if indent is None else ",", ": "))


def cell(value: Any) -> str:
    """Text of one table or CSV cell (nested values as compact JSON)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, Decimal)):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    return dumps(value, indent=None)


# --- views: how a command's result becomes rows ----------------------------------------------
Rows = list[dict[str, Any]]


def keyed(key_name: str, inner: str | None = None) -> Callable[[Any], Rows]:
    """Rows from ``{id: {...}}`` (optionally under ``result[inner]``), the id as ``key_name``."""

    def rows(result: Any) -> Rows:
        data = result.get(inner, {}) if (inner and isinstance(result, Mapping)) else result
        if not isinstance(data, Mapping):
            return listed()(data)
        out: Rows = []
        for key, item in data.items():
            if isinstance(item, Mapping):
                out.append({key_name: key, **item})
            else:
                out.append({key_name: key, "value": item})
        return out

    return rows


def listed(inner: str | None = None) -> Callable[[Any], Rows]:
    """Rows from a list of objects (optionally under ``result[inner]``)."""

    def rows(result: Any) -> Rows:
        data = result.get(inner, []) if (inner and isinstance(result, Mapping)) else result
        if isinstance(data, Mapping):
            return [dict(data)]
        out: Rows = []
        for item in data or []:
            out.append(dict(item) if isinstance(item, Mapping) else {"value": item})
        return out

    return rows


def record(inner: str | None = None) -> Callable[[Any], Rows]:
    """One row from a flat object (optionally ``result[inner]``); scalars become ``{"result": x}``."""

    def rows(result: Any) -> Rows:
        data = result.get(inner, result) if (inner and isinstance(result, Mapping)) else result
        if isinstance(data, Mapping):
            return [dict(data)]
        return [{"result": data}]

    return rows


def scalar_map(key_name: str, value_name: str) -> Callable[[Any], Rows]:
    """Rows from ``{key: scalar}`` (balances): two columns."""

    def rows(result: Any) -> Rows:
        if not isinstance(result, Mapping):
            return listed()(result)
        return [
            {key_name: k, **v} if isinstance(v, Mapping) else {key_name: k, value_name: v}
            for k, v in result.items()
        ]

    return rows


def pair_series(columns: list[str]) -> Callable[[Any], Rows]:
    """Rows from ``{PAIR: [[...], ...], "last": ...}`` (OHLC, trades, spreads)."""

    def rows(result: Any) -> Rows:
        out: Rows = []
        for pair, series in (result or {}).items():
            if pair == "last" or not isinstance(series, list):
                continue
            for item in series:
                values = list(item) if isinstance(item, (list, tuple)) else [item]
                row: dict[str, Any] = {"pair": pair}
                row.update({c: values[i] if i < len(values) else None for i, c in enumerate(columns)})
                out.append(row)
        return out

    return rows


def book_rows(result: Any) -> Rows:
    """Rows from an order book (Spot ``{PAIR: {asks, bids}}`` or Futures ``{orderBook: {...}}``)."""
    books = {"": result["orderBook"]} if isinstance(result, Mapping) and "orderBook" in result else (result or {})
    out: Rows = []
    for pair, book in books.items():
        if not isinstance(book, Mapping):
            continue
        for side in ("asks", "bids"):
            for level in book.get(side, []):
                row: dict[str, Any] = {"pair": pair} if pair else {}
                row.update({"side": side[:-1], "price": level[0], "volume": level[1]})
                if len(level) > 2:
                    row["timestamp"] = level[2]
                out.append(row)
    return out


# --- columns of the tables for people ----------------------------------------------------------
WIDE = 9  # priority of the columns only ``-o wide`` shows

# Fields that hold a time (epoch seconds or milliseconds, or ISO 8601 text): shown as local time.
TIME_KEYS = frozenset(
    {
        "time", "opentm", "closetm", "starttm", "expiretm", "createdtm", "completedtm", "datastarttm", "dataendtm",
        "rollovertm", "unixtime", "timestamp", "fillTime", "receivedTime", "lastUpdateTime", "lastUpdateTimestamp",
        "effectiveTime", "date", "serverTime", "lastTime", "dateTimeReceived", "lastTradingTime", "openingDate",
    }
)


@dataclass(frozen=True)
class Col:
    """One column of a table for people.

    ``key`` is the row's field (a dotted path reaches into nested objects: ``descr.pair``)
    unless ``get`` computes the value; ``header`` is what the person reads. ``kind`` decides
    the text and whether a cell may wrap: ``num`` (right-aligned, decimals aligned, trailing
    zeros dropped), ``time`` (local time), ``id`` and ``text`` (never split), ``wrap``
    (prose: wraps between words), ``flag`` (yes/no), ``json`` (nested data, wraps), ``auto``.
    ``prio`` 1 is always shown; a narrow terminal drops the highest ``prio`` first (the
    rightmost of equals); ``WIDE`` columns appear only with ``-o wide``.
    """

    key: str
    header: str | None = None
    kind: str = "auto"
    prio: int = 1
    get: Callable[[Mapping[str, Any]], Any] | None = None

    @property
    def title(self) -> str:
        return self.header if self.header is not None else self.key

    def value(self, row: Mapping[str, Any]) -> Any:
        if self.get is not None:
            return self.get(row)
        return pick(row, self.key)


def pick(row: Any, path: str) -> Any:
    """``row["a"]["b"]`` for ``"a.b"`` (``None`` when any step is missing)."""
    if isinstance(row, Mapping) and path in row:
        return row[path]
    value: Any = row
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def col(key: str, header: str | None = None, prio: int = 1, kind: str = "text", get: Any = None) -> Col:
    """A text or id column (never split)."""
    return Col(key, header, kind, prio, get)


def num(key: str, header: str | None = None, prio: int = 1, get: Any = None) -> Col:
    """A number: right-aligned, decimals aligned."""
    return Col(key, header, "num", prio, get)


def when(key: str, header: str | None = None, prio: int = 1, get: Any = None) -> Col:
    """A time (epoch seconds, epoch milliseconds or ISO 8601), shown as local time."""
    return Col(key, header, "time", prio, get)


def prose(key: str, header: str | None = None, prio: int = 1, get: Any = None) -> Col:
    """Free text that may wrap between words."""
    return Col(key, header, "wrap", prio, get)


def flag(key: str, header: str | None = None, prio: int = 1, get: Any = None) -> Col:
    """A boolean shown as yes/no."""
    return Col(key, header, "flag", prio, get)


def nested(key: str, header: str | None = None, prio: int = 1, get: Any = None) -> Col:
    """Nested data shown as compact JSON (wraps between items)."""
    return Col(key, header, "json", prio, get)


@dataclass
class View:
    """How to show one command's result: rows from the result, and preferred columns.

    ``columns`` lists the columns shown first; CSV and NDJSON add the others unless
    ``only`` (these two formats are for scripts and never change shape).

    ``table`` lists the columns of the table for people (:class:`Col`, by priority), fed
    by ``human_rows`` (default: ``rows``); without it the table shows ``columns`` (or every
    field), dropping the rightmost first on a narrow terminal. ``vertical`` prints a
    one-row result as a field/value table on a terminal.
    """

    rows: Callable[[Any], Rows] = field(default_factory=record)
    columns: list[str] | None = None
    only: bool = False
    vertical: bool = False
    title: str | None = None
    table: list[Col] | None = None
    human_rows: Callable[[Any], Rows] | None = None

    def table_rows(self, result: Any) -> Rows:
        return (self.human_rows or self.rows)(result)

    def table_columns(self, rows: Rows) -> list[Col]:
        """The table's columns: ``table``, or the CSV columns in order of importance."""
        if self.table is not None:
            return list(self.table)
        names = _columns(rows, self.columns, self.only or bool(self.columns))
        return [Col(name, prio=min(index + 1, WIDE - 1)) for index, name in enumerate(names)]

    def narrow_drops(self) -> tuple[list[str], list[str]]:
        """(headers a narrow terminal leaves out, the first left out first; headers only ``-o wide`` shows)."""
        cols = self.table or []
        drops = sorted((c for c in cols if 1 < c.prio < WIDE), key=lambda c: (-c.prio, -cols.index(c)))
        return [c.title for c in drops], [c.title for c in cols if c.prio >= WIDE]

    def columns_help(self) -> str:
        """The one help line saying which columns a narrow terminal leaves out and ``-o wide`` adds."""
        drops, wide = self.narrow_drops()
        parts = []
        if drops:
            parts.append(f"narrow terminals leave out first {', '.join(drops)}")
        if wide:
            parts.append(f"-o wide adds {', '.join(wide)}")
        return ("Table: " + "; ".join(parts) + ".") if parts else ""


RECORD = View(record(), vertical=True)


def _columns(rows: Rows, preferred: list[str] | None, only: bool) -> list[str]:
    cols: list[str] = []
    for name in preferred or []:
        if name not in cols:
            cols.append(name)
    if not only or not preferred:
        for row in rows:
            for key in row:
                if key not in cols:
                    cols.append(key)
    return cols


class Output:
    """Writes data to stdout in the chosen format and messages to stderr.

    ``fmt`` is ``table``, ``wide`` (a table with every column), ``json``, ``ndjson`` or
    ``csv``; ``None`` chooses a table on a terminal and JSON otherwise. ``width`` fixes
    the table width (default: the terminal's).
    """

    def __init__(
        self,
        fmt: str | None = None,
        *,
        color: bool = True,
        stdout: IO[str] | None = None,
        stderr: IO[str] | None = None,
        width: int | None = None,
        query: str | None = None,
    ) -> None:
        self.stdout = stdout if stdout is not None else sys.stdout
        self.stderr = stderr if stderr is not None else sys.stderr
        self.color = color
        self.width = width
        self.query = query  # --query: a JMESPath expression (kraken_ops.cli.query); implies JSON
        self.fmt = fmt or ("table" if _isatty(self.stdout) and query is None else "json")

    @classmethod
    def from_options(cls, options: Any) -> Output:
        """The output object for the running command's global options."""
        return cls(getattr(options, "output", None), color=getattr(options, "color", True), query=getattr(options, "query", None))

    @property
    def is_json(self) -> bool:
        return self.fmt in ("json", "ndjson")

    @property
    def is_table(self) -> bool:
        return self.fmt in ("table", "wide")

    # --- messages on stderr ---
    def info(self, text: str) -> None:
        """A message for the person at the terminal (never on stdout).

        On a terminal it is wrapped at the terminal's width between words (a path, an id or
        an option is never cut in two), keeping the line's indentation; elsewhere it is one
        line, as a log wants it.
        """
        if text and _isatty(self.stderr):
            from kraken_ops.cli import help

            lead = text[: len(text) - len(text.lstrip())]
            for line in help.wrap(text.strip(), help.width() - 1, lead, lead + "  "):
                print(line, file=self.stderr)
            return
        print(text, file=self.stderr)

    def command_hint(self, command: str) -> None:
        """A command to try next, like the help's examples (continued with `` \\`` on a terminal)."""
        if _isatty(self.stderr):
            from kraken_ops.cli import help

            for line in help.example_lines(command, "", help.width() - 1):
                print(line, file=self.stderr)
            return
        print(f"  $ {command}", file=self.stderr)

    def warn(self, text: str) -> None:
        print(f"warning: {text}", file=self.stderr)

    # --- data on stdout ---
    def emit(self, result: Any, view: View | None = None) -> None:
        """Print one result."""
        view = view or RECORD
        if self.query is not None and self.fmt in ("table", "csv"):
            from kraken_ops.cli import query

            result, view = query.search(self.query, result), View(query.rows_of)
        if self.fmt == "json":
            self._json(result)
        elif self.fmt == "ndjson":
            self._ndjson(view.rows(result))
        elif self.fmt == "csv":
            self._csv(view.rows(result), view)
        else:
            from kraken_ops.cli.tables import render

            render(view.table_rows(result), view, **self._table_options())
            self.stdout.flush()

    def emit_multi(self, results: Mapping[str, Any], errors: Mapping[str, Any], view: View | None = None) -> None:
        """Print the merged results of several profiles (``errors``: profile to ErrorInfo)."""
        view = view or RECORD
        if self.fmt == "json" or (self.query is not None and self.fmt != "ndjson"):
            merged: dict[str, Any] = {}
            for name in list(results) + [e for e in errors if e not in results]:
                merged[name] = {"error": errors[name].envelope()} if name in errors else results[name]
            self.emit(merged, view)  # --query applies to the whole {profile: result} document
            return
        if self.is_table:
            from kraken_ops.cli.tables import render_multi

            per_profile = {name: view.table_rows(result) for name, result in results.items()}
            render_multi(per_profile, view, **self._table_options())
            self.stdout.flush()
            return
        rows: Rows = []
        for name, result in results.items():
            rows.extend({"profile": name, **row} for row in view.rows(result))
        if self.fmt == "ndjson":
            self._ndjson([*rows, *({"profile": n, "error": e.envelope()} for n, e in errors.items())])
        else:
            self._csv(rows, View(view.rows, ["profile", *(view.columns or [])], view.only, False, view.title))

    def _json(self, value: Any) -> None:
        if self.query is not None:
            from kraken_ops.cli import query

            value = query.search(self.query, value)
        self._write(dumps(value) + "\n")

    def _ndjson(self, values: Iterable[Any]) -> None:
        if self.query is not None:
            from kraken_ops.cli import query

            values = query.each(self.query, values)
        self._write("".join(dumps(value, indent=None) + "\n" for value in values))

    def text(self, text: str) -> None:
        """Raw text on stdout (e.g. a CSV document Kraken produced)."""
        self._write(text if text.endswith("\n") else text + "\n")

    def _write(self, text: str) -> None:
        self.stdout.write(text)
        self.stdout.flush()

    def _table_options(self) -> dict[str, Any]:
        return {"width": self.width, "wide": self.fmt == "wide", "color": self.color, "file": self.stdout}

    def _csv(self, rows: Rows, view: View) -> None:
        import csv

        cols = _columns(rows, view.columns, view.only)
        writer = csv.writer(self.stdout, lineterminator="\n")
        writer.writerow(cols)
        for row in rows:
            writer.writerow([cell(row.get(c)) for c in cols])
        self.stdout.flush()


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def iter_ndjson(text: str) -> Iterable[Any]:
    """Parse NDJSON text (one JSON value a line; blank lines ignored), numbers exact."""
    import json

    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                yield json.loads(line, parse_float=Decimal)
            except ValueError as exc:
                raise ValueError(f"line {number} is not valid JSON: {exc}") from None
