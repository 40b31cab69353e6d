"""Tables for people: the text of each cell, which columns fit, and the rich rendering.

Rules (docs/tables.md):

* no cell ever splits a number, an id, a pair or a time: such cells never wrap, and a
  column that does not fit is dropped (the least important first, see
  :class:`~kraken_ops.cli.output.Col`) rather than squeezed; only prose and nested data
  wrap, and only between words;
* numbers are right-aligned with their decimal points aligned, and shown without
  trailing zeros (``1.25000000`` reads ``1.25``; the exact text stays in JSON);
* times are local (``2026-11-29 22:01:23``, the ``TZ`` of the process);
* ``-o wide`` shows every column, however wide the table gets.

Imported only when a table is printed (rich is heavy to import).
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import IO, Any, Mapping

from kraken_ops.cli.output import TIME_KEYS, WIDE, Col, Rows, View, cell, dumps

_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
GAP = 2  # spaces between two columns
MIN_EPOCH_MS = 10**11  # larger epoch values are milliseconds (10**11 s is the year 5138)
MIN_EPOCH_US = 10**14  # ... microseconds (10**14 ms is the year 5138 too)
MIN_EPOCH_NS = 10**17  # ... nanoseconds (Level3 REST timestamps)


# --- the text of a cell -----------------------------------------------------------------------
def is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float, Decimal)):
        return True
    return isinstance(value, str) and bool(_NUMBER.match(value.strip()))


def human_number(value: Any) -> str:
    """``"1.25000000"`` -> ``"1.25"``, ``1E-8`` -> ``"0.00000001"``; exact (Decimal, never float).

    >>> human_number("30039.55000"), human_number("+134186.9728"), human_number("0.00000000")
    ('30039.55', '+134186.9728', '0')
    """
    if value is None or value == "":
        return ""
    if not is_number(value):
        return cell(value)
    text = repr(value) if isinstance(value, float) else str(value).strip()
    try:
        number = Decimal(text)
    except InvalidOperation:
        return text
    if not number.is_finite():
        return text
    out = format(number, "f")
    if "." in out:
        out = out.rstrip("0").rstrip(".")
    if out in ("-0", "+0"):
        out = "0"
    if text.startswith("+") and not out.startswith(("+", "-")):
        out = "+" + out
    return out


def human_time(value: Any) -> str:
    """Epoch seconds, milli-, micro- or nanoseconds, or ISO 8601 text as local ``YYYY-MM-DD HH:MM:SS``.

    ``0`` and empty values (Kraken's "not set") are blank; anything else unreadable is
    shown as it came.
    """
    import datetime as dt
    import time

    if value is None or isinstance(value, bool):
        return ""
    if is_number(value):
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            return cell(value)
        if number == 0:
            return ""
        scale = 10**9 if abs(number) >= MIN_EPOCH_NS else 10**6 if abs(number) >= MIN_EPOCH_US else 1000 if abs(number) >= MIN_EPOCH_MS else 1
        seconds = int(number / scale)
        try:
            return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(seconds))
        except (OverflowError, OSError, ValueError):
            return cell(value)
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return ""
        try:
            moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            return text
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.timezone.utc)
        return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S")
    return cell(value)


def kind_of(key: str, value: Any) -> str:
    """The kind of a column nobody described (``auto``), from its name and a value."""
    if key.split(".")[-1] in TIME_KEYS:
        return "time"
    if isinstance(value, bool):
        return "flag"
    if isinstance(value, (Mapping, list, tuple)):
        return "json"
    if is_number(value):
        return "num"
    if isinstance(value, str) and " " in value.strip():
        return "wrap"
    return "text"


def text_of(kind: str, value: Any) -> str:
    """The text of one cell of ``kind``."""
    if value is None:
        return ""
    if kind == "num":
        return human_number(value)
    if kind == "time":
        return human_time(value)
    if kind == "flag":
        if isinstance(value, str):
            return {"true": "yes", "false": "no"}.get(value.lower(), value)
        return "yes" if value else "no"
    if kind == "json":
        if isinstance(value, (list, tuple)) and all(not isinstance(v, (Mapping, list, tuple)) for v in value):
            return ", ".join(cell(v) for v in value)
        return dumps(value, indent=None) if isinstance(value, (Mapping, list, tuple)) else cell(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)) and all(not isinstance(v, (Mapping, list, tuple)) for v in value):
        return ", ".join(cell(v) for v in value)  # several ids (AddOrder's txid list)
    if isinstance(value, (Mapping, list, tuple)):
        return dumps(value, indent=None)
    return cell(value)


# --- columns: texts, widths, which fit ----------------------------------------------------------
class _Column:
    """One column ready to print: header, kind, priority, its cells' texts and widths.

    Each cell is a list of unbreakable pieces: the whole text for numbers, ids, pairs and
    times; words for prose and nested data. Lines are laid out here, never by rich.
    """

    def __init__(self, spec: Col, kind: str, texts: list[str], *, wraps: bool) -> None:
        from rich.cells import cell_len

        self.spec = spec
        self.kind = kind
        self.header = spec.title
        self.texts = texts
        self.wraps = wraps
        self.pieces = [_words(t) if wraps else [t] for t in texts]
        self.natural = max([cell_len(self.header), *(cell_len(t) for t in texts)])
        self.minimum = max([cell_len(self.header), *(cell_len(p) for ps in self.pieces for p in ps)])

    @classmethod
    def of(cls, spec: Col, rows: Rows) -> "_Column":
        values = [spec.value(row) for row in rows]
        kind = spec.kind
        if kind == "auto":
            sample = next((v for v in values if v not in (None, "")), None)
            kind = kind_of(spec.key, sample)
        texts = [text_of(kind, v) for v in values]
        if kind == "num":
            texts = align_decimals(texts)
        return cls(spec, kind, texts, wraps=kind in ("wrap", "json"))

    def lines(self, index: int, width: int) -> str:
        """Cell ``index`` laid out in ``width`` columns (pieces never split)."""
        from rich.cells import cell_len

        if self.kind == "num":  # right-aligned here: rich would strip the spaces that align the decimals
            return self.texts[index].rjust(width)
        if not self.wraps:
            return self.texts[index]
        out: list[str] = []
        line = ""
        for piece in self.pieces[index]:
            if line and cell_len(line) + 1 + cell_len(piece) > width:
                out.append(line)
                line = piece
            else:
                line = f"{line} {piece}" if line else piece
        out.append(line)
        return "\n".join(out)


def _words(text: str) -> list[str]:
    """The pieces prose may wrap between: words, split at plain spaces only (a no-break space
    keeps ``usd\u00a05000`` together)."""
    return [w for w in text.replace("\n", " ").split(" ") if w]


def align_decimals(texts: list[str]) -> list[str]:
    """Pad numbers on the right so that their decimal points line up in a right-aligned column.

    >>> align_decimals(["60079.1", "201.35", "7"])
    ['60079.1 ', '201.35', '7   ']
    """
    def fraction(t: str) -> int:
        return len(t) - t.index(".") if "." in t else 0

    widest = max((fraction(t) for t in texts if t and is_number(t)), default=0)
    return [t + " " * (widest - fraction(t)) if t and is_number(t) else t for t in texts]


def fit(columns: list[_Column], width: int, wide: bool) -> tuple[list[_Column], list[_Column]]:
    """(columns shown, columns left out) for a table at most ``width`` wide.

    Priority 1 columns are always shown; the others join, most important first (lowest
    ``prio``, then leftmost), while they fit, so a narrow terminal leaves out the least
    important ones. The table keeps the columns' order.
    """
    candidates = [c for c in columns if wide or c.spec.prio < WIDE]
    if wide:
        return candidates, []
    chosen = [c for c in candidates if c.spec.prio == 1]
    for column in sorted((c for c in candidates if c.spec.prio > 1), key=lambda c: (c.spec.prio, candidates.index(c))):
        if _needed([*chosen, column], "minimum") <= width:
            chosen.append(column)
    shown = [c for c in candidates if c in chosen]
    return shown, [c for c in candidates if c not in chosen]


def _needed(columns: list[_Column], attr: str) -> int:
    if not columns:
        return 0
    return sum(getattr(c, attr) for c in columns) + GAP * (len(columns) - 1)


def _widths(columns: list[_Column], width: int) -> list[int]:
    """Each column's width: natural when the table fits, else wrapping columns share what is left."""
    if _needed(columns, "natural") <= width:
        return [c.natural for c in columns]
    widths = [c.minimum if c.wraps else c.natural for c in columns]
    spare = width - _needed(columns, "minimum") - sum(c.natural - c.minimum for c in columns if not c.wraps)
    growth = [c.natural - c.minimum if c.wraps else 0 for c in columns]
    total = sum(growth)
    if spare > 0 and total:
        for i, g in enumerate(growth):
            widths[i] += min(g, spare * g // total)
    return widths


# --- rendering --------------------------------------------------------------------------------
def _console(file: IO[str] | None, width: int | None, color: bool) -> Any:
    from rich.console import Console

    return Console(file=file, width=width, no_color=not color, highlight=False, soft_wrap=False, emoji=False, markup=False)


def _print(columns: list[_Column], file: IO[str] | None, width: int, color: bool, caption: str | None) -> None:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    widths = _widths(columns, width)
    table = Table(
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        padding=(0, 0, 0, 1),
        header_style="bold" if color else "",
        caption=caption,
        caption_style="dim" if color else "",
        caption_justify="left",
    )
    for column, w in zip(columns, widths):
        header = column.header.rjust(w) if column.kind == "num" else column.header
        table.add_column(Text(header), justify="left", no_wrap=True, overflow="fold", width=w)
    for r in range(len(columns[0].texts) if columns else 0):
        table.add_row(*(Text(c.lines(r, w)) for c, w in zip(columns, widths)))
    console = _console(file, max(width, _needed(columns, "minimum")), color)
    console.print(table, crop=False)


def terminal_width(file: IO[str] | None, width: int | None) -> int:
    """The width to design for: ``width``, else the terminal's (``COLUMNS``, else 80)."""
    if width:
        return width
    return int(_console(file, None, True).width)


def render(rows: Rows, view: View, *, width: int | None = None, wide: bool = False, color: bool = True, file: IO[str] | None = None) -> None:
    """Print ``rows`` to ``file`` as a table for people (``view`` says which columns)."""
    limit = terminal_width(file, width)
    if not rows:
        _console(file, limit, color).print("(no results)", style="dim" if color else None)
        return
    if view.vertical and len(rows) == 1:
        _vertical({"value": rows[0]}, limit, color, file, value_header="value")
        return
    _horizontal(rows, view.table_columns(rows), limit, wide, color, file)


def render_multi(
    per_profile: Mapping[str, Rows], view: View, *, width: int | None = None, wide: bool = False, color: bool = True, file: IO[str] | None = None
) -> None:
    """Several profiles' rows: one table with a leading ``profile`` column.

    A one-row view (a record, such as ``trade-balance``) becomes a field/value table with
    one value column per profile.
    """
    limit = terminal_width(file, width)
    if view.vertical and per_profile and all(len(rows) == 1 for rows in per_profile.values()):
        _vertical({name: rows[0] for name, rows in per_profile.items()}, limit, color, file, value_header=None)
        return
    rows = [{"profile": name, **row} for name, profile_rows in per_profile.items() for row in profile_rows]
    if not rows:
        _console(file, limit, color).print("(no results)", style="dim" if color else None)
        return
    specs = [Col("profile", "profile", "text", 1), *[c for c in view.table_columns(rows) if c.key != "profile"]]
    _horizontal(rows, specs, limit, wide, color, file)


def _horizontal(rows: Rows, specs: list[Col], limit: int, wide: bool, color: bool, file: IO[str] | None) -> None:
    columns = [_Column.of(spec, rows) for spec in specs]
    columns = [c for c in columns if c.spec.prio == 1 or any(t.strip() for t in c.texts)] or columns[:1]
    shown, dropped = fit(columns, limit, wide)
    caption = f"not shown: {', '.join(c.header for c in dropped)} (-o wide shows all)" if dropped else None
    width = max(limit, _needed(shown, "natural")) if wide else limit
    _print(shown, file, width, color, caption)


def flatten(record: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested objects as dotted fields (``fees.XBTUSD.fee``); lists stay values."""
    out: dict[str, Any] = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            out.update(flatten(value, name + "."))
        else:
            out[name] = value
    return out


def _vertical(records: Mapping[str, Mapping[str, Any]], limit: int, color: bool, file: IO[str] | None, value_header: str | None) -> None:
    """A field/value table; several records (profiles) side by side, one value column each."""
    flat = {name: flatten(rec) for name, rec in records.items()}
    fields: list[str] = []
    for rec in flat.values():
        fields.extend(k for k in rec if k not in fields)
    columns = [_Column(Col("field", "field", "text", 1), "text", list(fields), wraps=False)]
    for index, (name, rec) in enumerate(flat.items()):
        spec = Col(name, value_header or name, "text", 1 if index == 0 else index + 1)
        kinds = [kind_of(f, rec.get(f)) for f in fields]
        texts = [text_of(k, rec.get(f)) for k, f in zip(kinds, fields)]
        column = _Column(spec, "text", texts, wraps=False)
        # prose and nested data wrap between words; numbers, ids and times stay whole
        column.wraps = any(k in ("wrap", "json") for k in kinds)
        column.pieces = [_words(t) if k in ("wrap", "json") else [t] for k, t in zip(kinds, texts)]
        column.minimum = max([len(column.header), *(len(p) for ps in column.pieces for p in ps)])
        columns.append(column)
    shown, dropped = fit(columns, limit, False)
    caption = f"not shown: {', '.join(c.header for c in dropped)}" if dropped else None
    _print(shown, file, limit, color, caption)
