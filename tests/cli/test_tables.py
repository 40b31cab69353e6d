"""Every table view of the CLI, rendered at 80 and 120 columns: no token is ever split.

The check is independent of the renderer: each whitespace-separated word printed must be a
whole word of the data (its exact text, its number without trailing zeros, its UTC time),
of a header, or of the table's own words. A number split over two lines (``600`` /
``79.1``), an id folded in a narrow column or an ellipsis-truncated cell prints words the
data does not have, and the test fails. The tokens a person needs first (ids, prices,
pairs, times) must also appear intact on one line at 80 columns.
"""

from __future__ import annotations

import datetime as dt
import importlib
import io
import pkgutil
import re
import time
from decimal import Decimal, InvalidOperation
from typing import Any, Iterator

import pytest

import kraken_ops.cli.commands as commands_pkg
from kraken_ops.cli.output import RECORD, WIDE, Output, View
from table_data import DATA, T, T_TEXT

WIDTHS = (80, 120)
OWN_WORDS = {
    "bot1", "bot-hedge-02",  # the profiles of the multi-profile tables
    "field", "value", "profile", "yes", "no", "*", "…", "(no", "results)", "not", "shown:", "(-o", "wide", "shows", "all)",
}
EXTRA_VIEWS = {"market:time": RECORD, "market:status": RECORD}


@pytest.fixture(autouse=True)
def utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def all_views() -> dict[str, View]:
    """Every View the command modules define (VIEWS dicts, VIEW), plus the ones built in functions."""
    views: dict[str, View] = {}
    for info in pkgutil.iter_modules(commands_pkg.__path__):
        module = importlib.import_module(f"kraken_ops.cli.commands.{info.name}")
        found = getattr(module, "VIEWS", None)
        if isinstance(found, dict):
            views.update({f"{info.name}:{key}": view for key, view in found.items() if isinstance(view, View)})
        if isinstance(getattr(module, "VIEW", None), View):
            views[f"{info.name}:VIEW"] = module.VIEW
    from kraken_ops.cli.commands import exchange, profile

    views.update({f"profile:{k}": v for k, v in profile._views().items()})
    views["exchange:account"] = exchange.account_view()
    views.update(EXTRA_VIEWS)
    return views


VIEWS = all_views()


def test_every_view_has_realistic_data() -> None:
    missing = sorted(set(VIEWS) - set(DATA))
    assert not missing, f"views without data in tests/cli/table_data.py: {missing}"


# --- the independent check ----------------------------------------------------------------------
def _number_forms(text: str) -> set[str]:
    try:
        number = Decimal(text)
    except InvalidOperation:
        return set()
    if not number.is_finite():
        return set()
    plain = format(number, "f")
    if "." in plain:
        plain = plain.rstrip("0").rstrip(".")
    forms = {plain, "0" if plain == "-0" else plain}
    if text.startswith("+"):
        forms.add("+" + plain)
    return forms


def _time_forms(value: Any) -> set[str]:
    forms: set[str] = set()
    try:
        number = Decimal(str(value))
        scale = 10**9 if abs(number) >= 10**17 else 10**6 if abs(number) >= 10**14 else 1000 if abs(number) >= 10**11 else 1
        seconds = int(number / scale)
        if 10**8 < seconds < 10**10:
            forms.update(dt.datetime.fromtimestamp(seconds, dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S").split())
    except (InvalidOperation, ValueError, OverflowError):
        pass
    if isinstance(value, str) and "T" in value:
        try:
            moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(dt.timezone.utc)
            forms.update(moment.strftime("%Y-%m-%d %H:%M:%S").split())
        except ValueError:
            pass
    return forms


def vocabulary(data: Any, view: View) -> set[str]:
    """Every word a correct table of ``data`` may print."""
    words = set(OWN_WORDS)

    def walk(value: Any, path: str) -> None:
        if path:
            words.update(path.split())
            words.add(path.split(".")[-1])
        if isinstance(value, dict):
            for key, inner in value.items():
                words.update(str(key).split())
                walk(inner, f"{path}.{key}" if path else str(key))
            if value:
                from kraken_ops.cli.output import dumps

                words.update(dumps(value, indent=None).split())
            return
        if isinstance(value, (list, tuple)):
            for inner in value:
                walk(inner, "")
            return
        text = str(value)
        words.update(text.split())
        words.update(_number_forms(text))
        words.update(_time_forms(value))
        words.update({"true", "false", "null"})

    walk(data, "")
    rows = view.table_rows(data)
    walk(rows, "")  # the view's rows (a book's "ask"/"bid" sides, OHLC fields by name ...)
    for column in view.table or []:
        words.update(column.title.split())
        if column.get is not None:  # derived values (available = balance - hold, a futures wallet's balances ...)
            for row in rows:
                walk(column.get(row), "")
    return {w.rstrip(",") for w in words} | words


def problems(text: str, data: Any, view: View, width: int | None) -> list[str]:
    """What is wrong with a rendered table: words the data does not have, lines too long."""
    allowed = vocabulary(data, view)
    found = []
    for line in text.splitlines():
        if width is not None and len(line.rstrip()) > width:
            found.append(f"line longer than {width}: {line!r}")
        for word in line.split():
            if set(word) <= set("─━-"):
                continue
            if word not in allowed and word.rstrip(",") not in allowed:
                found.append(f"{word!r} is not a whole token of the data (split or truncated?) in {line!r}")
    return found


def render(view: View, data: Any, width: int, fmt: str = "table", profiles: tuple[str, ...] = ()) -> str:
    buffer = io.StringIO()
    out = Output(fmt, color=False, stdout=buffer, width=width)
    if profiles:
        out.emit_multi({name: data for name in profiles}, {}, view)
    else:
        out.emit(data, view)
    return buffer.getvalue()


# --- the tests ------------------------------------------------------------------------------------
@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("view_id", sorted(DATA))
def test_no_token_is_split(view_id: str, width: int) -> None:
    view = VIEWS[view_id]
    data, tokens = DATA[view_id]
    text = render(view, data, width)
    assert not problems(text, data, view, width), "\n" + text + "\n" + "\n".join(problems(text, data, view, width))
    lines = text.splitlines()
    for token in tokens:
        assert any(token in line for line in lines), f"{token!r} is not shown intact at {width} columns:\n{text}"


# views of the read commands, which take several --profile and --all-profiles
MULTI = sorted(
    {"balances:balances", "balances:holds", "balances:show", "balances:trade-balance", "orders:list", "orders:closed", "orders:show",
     "trades:list", "trades:show", "trades:volume", "ledgers:list", "ledgers:show", "positions:VIEW", "funding:status", "earn:allocations",
     "futures:orders", "futures:positions", "futures:fills", "futures:accounts", "futures:account-log", "futures:history"}
)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("view_id", MULTI)
def test_no_token_is_split_in_multi_profile_tables(view_id: str, width: int) -> None:
    view = VIEWS[view_id]
    data, tokens = DATA[view_id]
    text = render(view, data, width, profiles=("bot1", "bot-hedge-02"))
    assert not problems(text, data, view, width), "\n" + text + "\n" + "\n".join(problems(text, data, view, width))
    assert "bot-hedge-02" in text and "bot1" in text
    assert any(tokens[0] in line for line in text.splitlines()), text


@pytest.mark.parametrize("view_id", sorted(DATA))
def test_wide_shows_every_column_without_splitting(view_id: str) -> None:
    view = VIEWS[view_id]
    data, _ = DATA[view_id]
    text = render(view, data, 80, fmt="wide")
    assert not problems(text, data, view, None), "\n" + text
    header = text.splitlines()[0] if text else ""
    if view.table and not view.vertical:
        shown = [c for c in view.table if c.title and c.title in text]
        # every column with a value in the data is in the wide table
        rows = view.table_rows(data)
        with_values = [c for c in view.table if c.title and any(c.value(r) not in (None, "") and not (c.kind == "time" and str(c.value(r)) == "0") for r in rows)]
        assert set(c.title for c in with_values) <= set(c.title for c in shown), header


def test_the_check_catches_a_split_number() -> None:
    """The table code before issue 12 (rich folding every column) fails the check."""
    from rich.console import Console
    from rich.table import Table

    view = VIEWS["orders:list"]
    data, _ = DATA["orders:list"]
    buffer = io.StringIO()
    table = Table()
    rows = view.rows(data)
    cols = ["txid", "status", "opentm", "descr", "vol_exec", "cost", "fee", "oflags", "userref", "cl_ord_id"]
    for name in cols:
        table.add_column(name, overflow="fold")
    for row in rows:
        table.add_row(*(str(row.get(c, "")) for c in cols))
    Console(file=buffer, width=80).print(table)
    assert problems(buffer.getvalue(), data, view, 80)


def test_orders_list_reads_like_a_trader_at_80_columns() -> None:
    text = render(VIEWS["orders:list"], DATA["orders:list"][0], 80)
    header = text.splitlines()[0].split()
    assert header[:3] == ["order", "pair", "side"] and {"price", "volume"} <= set(header)
    assert "descr" not in text and "vol_exec" not in text and "1795989" not in text
    line = next(line for line in text.splitlines() if "OQCLML-BW3P3-BUCMWZ" in line)
    assert re.search(r"XBTUSD\s+buy\s+(limit\s+)?60079\.1\s+1\.25\b", line), line


def test_numbers_are_right_aligned_with_their_decimal_points_aligned() -> None:
    text = render(VIEWS["orders:list"], DATA["orders:list"][0], 120)
    lines = [line for line in text.splitlines() if "-" in line and line[:1].isupper()]
    dots = {line.index("60079.1") + 5 if "60079.1" in line else line.index("201.35") + 3 for line in lines if "60079.1" in line or "201.35" in line}
    assert len(dots) == 1, text


def test_local_times_follow_tz(monkeypatch: pytest.MonkeyPatch) -> None:
    text = render(VIEWS["trades:list"], DATA["trades:list"][0], 120)
    assert T_TEXT in text
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    assert "2026-11-30 07:01:23" in render(VIEWS["trades:list"], DATA["trades:list"][0], 120)


def test_epoch_times_in_every_unit_kraken_uses_read_as_the_same_moment() -> None:
    from kraken_ops.cli.tables import human_time

    assert {human_time(T), human_time(T * 1000), human_time(T * 10**6), human_time(T * 10**9), human_time(f"{T}.9138")} == {T_TEXT}


def test_the_default_profile_is_marked_with_a_star() -> None:
    text = render(VIEWS["profile:list"], DATA["profile:list"][0], 80)
    line = next(line for line in text.splitlines() if "bot-hedge-02" in line)
    assert line.lstrip().startswith("* bot-hedge-02") or line.lstrip().startswith("*  bot-hedge-02")
    assert not next(line for line in text.splitlines() if " paper " in f" {line} ").lstrip().startswith("*")


def test_a_narrow_terminal_says_which_columns_it_dropped() -> None:
    text = " ".join(render(VIEWS["orders:list"], DATA["orders:list"][0], 80).split())
    assert "not shown: filled, status, opened (-o wide shows all)" in text
    wide = render(VIEWS["orders:list"], DATA["orders:list"][0], 80, fmt="wide")
    assert "opened" in wide and "type" in wide and "not shown" not in wide


@pytest.mark.parametrize("fmt", ["json", "ndjson", "csv"])
def test_script_formats_are_unchanged_by_the_table_columns(fmt: str) -> None:
    """CSV and NDJSON still carry Kraken's raw fields (descr.order, opentm, vol_exec ...)."""
    text = render(VIEWS["orders:list"], DATA["orders:list"][0], 80, fmt=fmt)
    assert "vol_exec" in text and "1795989683.9138" in text and "buy 1.25000000 XBTUSD @ limit 60079.1" in text


HELP = {  # command -> its table view: its help says which columns a narrow terminal leaves out
    "market assets": "market:assets", "market pairs": "market:pairs", "market ticker": "market:ticker", "market ohlc": "market:ohlc",
    "market book": "market:book", "market trades": "market:trades", "market spreads": "market:spreads", "balances": "balances:holds",
    "orders list": "orders:list", "orders closed": "orders:closed", "orders show": "orders:show", "orders batch": "orders:batch",
    "orders amends": "orders:amends", "trades list": "trades:list", "trades show": "trades:show", "ledgers list": "ledgers:list",
    "ledgers show": "ledgers:show", "positions": "positions:VIEW", "positions close": "positions:close", "exports status": "exports:status",
    "funding deposit-methods": "funding:deposit-methods", "funding deposit-address": "funding:addresses", "funding deposits": "funding:status",
    "funding withdraw-methods": "funding:withdraw-methods", "funding withdraw-addresses": "funding:withdraw-addresses",
    "funding withdrawals": "funding:status", "earn strategies": "earn:strategies", "earn allocations": "earn:allocations",
    "futures market instruments": "futures:instruments", "futures market tickers": "futures:tickers", "futures market trades": "futures:trades",
    "futures market candles": "futures:candles", "futures market fee-schedules": "futures:fee-schedules", "futures orders list": "futures:orders",
    "futures orders status": "futures:status", "futures orders batch": "futures:batch", "futures positions": "futures:positions",
    "futures fills": "futures:fills", "futures accounts": "futures:accounts", "futures account-log": "futures:account-log",
    "futures notifications": "futures:notifications", "futures subaccounts": "futures:subaccounts", "futures history executions": "futures:history",
    "futures history orders": "futures:history", "futures history triggers": "futures:history", "profile list": "profile:list",
    "profile test": "profile:test", "exchange account list": "exchange:account",
    "balances credit-lines": "balances:credit-lines", "market book-l3": "market:book-l3", "futures transfers": "futures:transfers",
    "futures market instrument-status": "futures:instrument-status", "futures assignment-programs": "futures:assignment-programs",
}
HELP_ALSO = {"market book": "market:grouped-book"}  # a second view of one command (--grouping)


def _help_of(root: Any, path: str) -> str:
    from typer._click.core import Context

    command, ctx = root, Context(root, info_name="kraken-ops")
    for name in path.split():
        command = command.get_command(ctx, name)
        ctx = Context(command, info_name=name, parent=ctx)
    return command.help or ""


def test_help_names_the_columns_a_narrow_terminal_leaves_out() -> None:
    """Each table command's help says, in one line, which columns go first and what -o wide adds."""
    from kraken_ops.cli.app import build_all

    root = build_all()
    for path, view_id in HELP.items():
        line = VIEWS[view_id].columns_help()
        assert line and line in _help_of(root, path), (path, line)
    for path, view_id in HELP_ALSO.items():
        assert VIEWS[view_id].columns_help() in _help_of(root, path), (path, view_id)
    with_drops = {vid for vid, view in VIEWS.items() if view.columns_help()}
    listed = set(HELP.values()) | set(HELP_ALSO.values())
    assert with_drops <= listed, sorted(with_drops - listed)


def test_every_table_column_is_droppable_or_essential() -> None:
    for view_id, view in VIEWS.items():
        for column in view.table or []:
            assert 1 <= column.prio <= WIDE, (view_id, column)


def test_the_live_book_aligns_decimals_and_never_splits() -> None:
    """``stream book --live`` is a table too."""
    from rich.console import Console

    from kraken_ops.cli.commands.stream import _LiveView

    class Book:
        valid = True

        def bids(self, depth: int) -> list[tuple[str, str]]:
            return [("60079.1", "1.25000000"), ("60077.50", "125000.5")]

        def asks(self, depth: int) -> list[tuple[str, str]]:
            return [("60079.2", "0.001"), ("60081", "12")]

    drawn = io.StringIO()

    class Live:
        def update(self, table: Any, refresh: bool) -> None:
            Console(file=drawn, width=80).print(table)

    view = _LiveView.__new__(_LiveView)
    view.depth, view.live = 10, Live()
    view.show("BTC/USD", Book())
    lines = drawn.getvalue().splitlines()
    first = next(line for line in lines if "60079.1" in line)
    second = next(line for line in lines if "60077.5" in line)
    assert first.index("60079.1") + 5 == second.index("60077.5") + 5  # bid prices: points aligned
    assert first.index("1.25") + 1 == second.index("125000.5") + 6  # quantities: points aligned
    for token in ("60079.1", "60077.5", "60079.2", "60081", "125000.5", "0.001"):
        assert any(token in line for line in lines)


def test_a_view_without_a_table_spec_never_hides_a_column_silently() -> None:
    """Columns of a plain view (ws results, say) past the eighth still appear on a wide terminal."""
    rows = [{f"field{i}": f"v{i}" for i in range(12)}]
    out = io.StringIO()
    Output("table", color=False, stdout=out, width=200).emit(rows, View(lambda r: r))
    assert all(f"field{i}" in out.getvalue() for i in range(12)), out.getvalue()
