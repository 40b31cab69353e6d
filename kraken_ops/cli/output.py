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


@dataclass
class View:
    """How to show one command's result: rows from the result, and preferred columns.

    ``columns`` lists the columns shown first; CSV and NDJSON add the others unless
    ``only``, while a table for people shows just ``columns`` when there are any (the
    whole record is one ``-o json`` away);
    ``vertical`` prints a one-row result as a field/value table on a terminal.
    """

    rows: Callable[[Any], Rows] = field(default_factory=record)
    columns: list[str] | None = None
    only: bool = False
    vertical: bool = False
    title: str | None = None

    def table_rows(self, result: Any) -> Rows:
        return self.rows(result)


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

    ``fmt`` is ``table``, ``json``, ``ndjson`` or ``csv``; ``None`` chooses a table
    on a terminal and JSON otherwise.
    """

    def __init__(
        self, fmt: str | None = None, *, color: bool = True, stdout: IO[str] | None = None, stderr: IO[str] | None = None, query: str | None = None
    ) -> None:
        self.stdout = stdout if stdout is not None else sys.stdout
        self.stderr = stderr if stderr is not None else sys.stderr
        self.color = color
        self.query = query  # --query: a JMESPath expression (kraken_ops.cli.query); implies JSON
        self.fmt = fmt or ("table" if _isatty(self.stdout) and query is None else "json")

    @classmethod
    def from_options(cls, options: Any) -> Output:
        """The output object for the running command's global options."""
        return cls(getattr(options, "output", None), color=getattr(options, "color", True), query=getattr(options, "query", None))

    @property
    def is_json(self) -> bool:
        return self.fmt in ("json", "ndjson")

    # --- messages on stderr ---
    def info(self, text: str) -> None:
        """A message for the person at the terminal (never on stdout)."""
        print(text, file=self.stderr)

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
            self._table(view.rows(result), view)

    def emit_multi(self, results: Mapping[str, Any], errors: Mapping[str, Any], view: View | None = None) -> None:
        """Print the merged results of several profiles (``errors``: profile to ErrorInfo)."""
        view = view or RECORD
        if self.fmt == "json" or (self.query is not None and self.fmt != "ndjson"):
            merged: dict[str, Any] = {}
            for name in list(results) + [e for e in errors if e not in results]:
                merged[name] = {"error": errors[name].envelope()} if name in errors else results[name]
            self.emit(merged, view)  # --query applies to the whole {profile: result} document
            return
        rows: Rows = []
        for name, result in results.items():
            rows.extend({"profile": name, **row} for row in view.rows(result))
        if self.fmt == "ndjson":
            self._ndjson([*rows, *({"profile": n, "error": e.envelope()} for n, e in errors.items())])
        else:
            multi = View(view.rows, ["profile", *(view.columns or [])], view.only, False, view.title)
            if self.fmt == "csv":
                self._csv(rows, multi)
            else:
                self._table(rows, multi)

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

    def _csv(self, rows: Rows, view: View) -> None:
        import csv

        cols = _columns(rows, view.columns, view.only)
        writer = csv.writer(self.stdout, lineterminator="\n")
        writer.writerow(cols)
        for row in rows:
            writer.writerow([cell(row.get(c)) for c in cols])
        self.stdout.flush()

    def _table(self, rows: Rows, view: View) -> None:
        from rich.console import Console
        from rich.table import Table

        console = Console(file=self.stdout, no_color=not self.color, highlight=False, soft_wrap=False)
        if view.vertical and len(rows) == 1:
            table = Table(show_header=True, title=view.title, box=None)
            table.add_column("field", style="bold" if self.color else None)
            table.add_column("value")
            for key, value in rows[0].items():
                table.add_row(str(key), cell(value))
        else:
            cols = _columns(rows, view.columns, view.only or bool(view.columns))
            table = Table(title=view.title, show_lines=False)
            for name in cols:
                table.add_column(name, overflow="fold")
            for row in rows:
                table.add_row(*(cell(row.get(c)) for c in cols))
            if not rows:
                console.print("(no results)", style="dim" if self.color else None)
                return
        console.print(table)


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
