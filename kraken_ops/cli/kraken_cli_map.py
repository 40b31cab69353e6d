"""Kraken's official CLI (``kraken``, krakenfx/kraken-cli) command by command, and the kraken-ops command that does the same.

The list of Kraken's commands is transcribed from kraken-cli's machine-readable catalog
(``agents/tool-catalog.json`` of krakenfx/kraken-cli, commit 73eddb63, 152 entries;
Kraken announces the CLI as "151 commands"). ``scripts/gen_docs.py`` renders this table
at the end of ``docs/cli.md``; ``tests/cli/test_kraken_cli_map.py`` checks that it covers
every catalog entry once and that every kraken-ops command it names exists.

Each row: (kraken-cli command, kraken-ops command path, arguments shown after the path,
note). The path is a tuple of command words after ``kraken-ops``.
"""

from __future__ import annotations

from typing import NamedTuple

SOURCE = "krakenfx/kraken-cli `agents/tool-catalog.json` (commit 73eddb63)"


class Mapping(NamedTuple):
    kraken: str
    path: tuple[str, ...]
    args: str = ""
    note: str = ""

    @property
    def command(self) -> str:
        return " ".join(("kraken-ops", *self.path, *([self.args] if self.args else [])))


def _m(kraken: str, path: str, args: str = "", note: str = "") -> Mapping:
    return Mapping(kraken, tuple(path.split()), args, note)


PAPER = "against the local exchange: `kraken-ops exchange serve` and a `paper` profile"

MAPPINGS: list[Mapping] = [
    # --- market (public) ---
    _m("kraken status", "market status"),
    _m("kraken server-time", "market time"),
    _m("kraken assets", "market assets", "[ASSET...] [--asset-class CLASS]"),
    _m("kraken pairs", "market pairs", "[PAIR...] [--asset-class CLASS]"),
    _m("kraken ticker <PAIR...>", "market ticker", "PAIR... [--asset-class CLASS]"),
    _m("kraken ohlc <PAIR>", "market ohlc", "PAIR --interval MIN [--since T]"),
    _m("kraken orderbook <PAIR>", "market book", "PAIR --count N"),
    _m("kraken orderbook-grouped <PAIR>", "market book", "PAIR --grouping N --depth N", "GroupedBook"),
    _m("kraken trades <PAIR>", "market trades", "PAIR [--count N] [--since ID]"),
    _m("kraken spreads <PAIR>", "market spreads", "PAIR [--since T]"),
    # --- account ---
    _m("kraken orderbook-l3 <PAIR>", "market book-l3", "PAIR --depth N --profile P", "Level3 (needs a key)"),
    _m("kraken balance", "balances", "[--rebase-multiplier rebased|base]"),
    _m("kraken extended-balance", "balances", "--holds", "BalanceEx"),
    _m("kraken credit-lines", "balances credit-lines", "[--rebase-multiplier rebased|base]"),
    _m("kraken trade-balance", "trade-balance", "[--asset ZUSD] [--rebase-multiplier rebased|base]"),
    _m("kraken open-orders", "orders list"),
    _m("kraken closed-orders", "orders closed", "[--start T] [--end T] [--offset N]"),
    _m("kraken query-orders <TXID...>", "orders show", "TXID..."),
    _m("kraken trades-history", "trades list", "[--type TYPE] [--offset N]"),
    _m("kraken query-trades <TXID...>", "trades show", "TXID..."),
    _m("kraken positions", "positions"),
    _m("kraken ledgers", "ledgers list", "[--asset A] [--type TYPE]"),
    _m("kraken query-ledgers <ID...>", "ledgers show", "ID..."),
    _m("kraken volume", "trades volume", "[PAIR...]"),
    _m("kraken export-report", "exports create", "--report trades|ledgers --description TEXT"),
    _m("kraken export-status", "exports status", "--report trades|ledgers"),
    _m("kraken export-retrieve <ID>", "exports download", "ID PATH"),
    _m("kraken export-delete <ID>", "exports delete", "ID", "`exports cancel ID` for a queued report"),
    # --- trade ---
    _m("kraken order buy <PAIR> <VOLUME>", "orders create", "--side buy --pair PAIR --volume VOLUME --type TYPE"),
    _m("kraken order sell <PAIR> <VOLUME>", "orders create", "--side sell --pair PAIR --volume VOLUME --type TYPE"),
    _m("kraken order batch <JSON_FILE>", "orders batch", "FILE"),
    _m("kraken order amend", "orders amend", "TXID [--price P] [--volume V]"),
    _m("kraken order edit <TXID>", "orders edit", "TXID --pair PAIR [--price P] [--volume V]"),
    _m("kraken order cancel <TXID...>", "orders cancel", "TXID..."),
    _m("kraken order cancel-batch <TXID...>", "orders cancel", "TXID...", "several ids go in one CancelOrderBatch"),
    _m("kraken order cancel-all", "orders cancel-all"),
    _m("kraken order cancel-after <SECONDS>", "orders cancel-after", "SECONDS"),
    # --- funding ---
    _m("kraken deposit methods <ASSET>", "funding deposit-methods", "ASSET"),
    _m("kraken deposit addresses <ASSET> <METHOD>", "funding deposit-address", "ASSET METHOD [--new]"),
    _m("kraken deposit status", "funding deposits", "[--asset A]"),
    _m("kraken withdraw <ASSET> <KEY> <AMOUNT>", "funding withdraw", "ASSET KEY AMOUNT"),
    _m("kraken withdrawal methods", "funding withdraw-methods", "[--asset A]"),
    _m("kraken withdrawal addresses", "funding withdraw-addresses", "[--asset A]"),
    _m("kraken withdrawal info <ASSET> <KEY> <AMOUNT>", "funding withdraw-info", "ASSET KEY AMOUNT"),
    _m("kraken withdrawal status", "funding withdrawals", "[--asset A]"),
    _m("kraken withdrawal cancel <ASSET> <REFID>", "funding withdraw-cancel", "ASSET REFID"),
    _m("kraken wallet-transfer <ASSET> <AMOUNT>", "funding transfer", "ASSET AMOUNT", "Spot to Futures wallet"),
    # --- earn ---
    _m("kraken earn strategies", "earn strategies"),
    _m("kraken earn allocate <ID> <AMOUNT>", "earn allocate", "STRATEGY_ID AMOUNT"),
    _m("kraken earn deallocate <ID> <AMOUNT>", "earn deallocate", "STRATEGY_ID AMOUNT"),
    _m("kraken earn allocate-status <ID>", "earn status", "STRATEGY_ID", "allocation and deallocation status"),
    _m("kraken earn deallocate-status <ID>", "earn status", "STRATEGY_ID", "allocation and deallocation status"),
    _m("kraken earn allocations", "earn allocations"),
    # --- subaccounts ---
    _m("kraken subaccount create <USERNAME> <EMAIL>", "subaccounts create", "USERNAME EMAIL"),
    _m("kraken subaccount transfer <ASSET> <AMOUNT>", "subaccounts transfer", "ASSET AMOUNT --from IIBAN --to IIBAN"),
    # --- futures ---
    _m("kraken futures instruments", "futures market instruments"),
    _m("kraken futures tickers", "futures market tickers"),
    _m("kraken futures ticker <SYMBOL>", "futures market ticker", "SYMBOL"),
    _m("kraken futures orderbook <SYMBOL>", "futures market book", "SYMBOL"),
    _m("kraken futures history <SYMBOL>", "futures market trades", "SYMBOL [--before T]"),
    _m("kraken futures feeschedules", "futures market fee-schedules"),
    _m("kraken futures instrument-status", "futures market instrument-status", "[SYMBOL]"),
    _m("kraken futures order buy <SYMBOL> <SIZE>", "futures orders create", "--side buy --symbol SYMBOL --size SIZE --type TYPE"),
    _m("kraken futures order sell <SYMBOL> <SIZE>", "futures orders create", "--side sell --symbol SYMBOL --size SIZE --type TYPE"),
    _m("kraken futures edit-order", "futures orders edit", "ORDER_ID [--price P] [--size S]"),
    _m("kraken futures cancel", "futures orders cancel", "ORDER_ID | --cl-ord-id ID"),
    _m("kraken futures cancel-all", "futures orders cancel-all", "[--symbol SYMBOL]"),
    _m("kraken futures cancel-after <SECONDS>", "futures orders dead-man-switch", "SECONDS"),
    _m("kraken futures batch-order <JSON>", "futures orders batch", "FILE"),
    _m("kraken futures accounts", "futures accounts"),
    _m("kraken futures open-orders", "futures orders list"),
    _m("kraken futures positions", "futures positions"),
    _m("kraken futures fills", "futures fills", "[--before T]"),
    _m("kraken futures leverage", "futures leverage get"),
    _m("kraken futures set-leverage <SYMBOL> <MAX_LEVERAGE>", "futures leverage set", "SYMBOL MAX_LEVERAGE"),
    _m("kraken futures notifications", "futures notifications"),
    _m("kraken futures transfers", "futures transfers", "[--before T]"),
    _m("kraken futures transfer <AMOUNT> <CURRENCY>", "futures transfer to-spot", "AMOUNT CURRENCY", "Futures to Spot wallet"),
    _m("kraken futures history-executions", "futures history executions", "[--since MS] [--before MS]"),
    _m("kraken futures history-orders", "futures history orders", "[--since MS] [--before MS]"),
    _m("kraken futures history-triggers", "futures history triggers", "[--since MS] [--before MS]"),
    _m("kraken futures history-account-log-csv", "futures account-log", "--csv PATH"),
    _m("kraken futures trading-instruments", "futures market trading-instruments", "[--contract-type TYPE]"),
    _m("kraken futures historical-funding-rates <SYMBOL>", "futures market funding-rates", "SYMBOL"),
    _m("kraken futures ohlc <SYMBOL>", "futures market candles", "SYMBOL [RESOLUTION] [--tick-type T]"),
    _m("kraken futures order-status", "futures orders status", "ORDER_ID..."),
    _m("kraken futures pnl-preferences", "futures pnl get"),
    _m("kraken futures set-pnl-preference <SYMBOL> <PREFERENCE>", "futures pnl set", "SYMBOL CURRENCY"),
    _m("kraken futures unwind-queue", "futures unwind-queue"),
    _m("kraken futures assignment-programs", "futures assignment-programs"),
    _m("kraken futures fee-schedule-volumes", "futures market fee-schedules", "--volumes"),
    _m("kraken futures subaccounts", "futures subaccounts"),
    _m("kraken futures subaccount-status <UID>", "futures subaccounts trading-enabled", "UID"),
    _m("kraken futures set-subaccount-status <UID> <ENABLED>", "futures subaccounts trading-enabled", "UID --set true|false", "asks for confirmation"),
    _m("kraken futures wallet-transfer <FROM> <TO> <UNIT> <AMOUNT>", "futures transfer wallet", "AMOUNT UNIT --from FROM --to TO"),
    # --- futures WebSocket ---
    _m("kraken futures ws ticker <MARKET...>", "stream futures ticker", "PRODUCT..."),
    _m("kraken futures ws trades <MARKET...>", "stream futures trades", "PRODUCT..."),
    _m("kraken futures ws book <MARKET...>", "stream futures book", "PRODUCT..."),
    _m("kraken futures ws fills", "stream futures fills"),
    _m("kraken futures ws open-orders", "stream futures open-orders"),
    _m("kraken futures ws open-positions", "stream futures positions"),
    _m("kraken futures ws balances", "stream futures balances"),
    _m("kraken futures ws notifications", "stream futures notifications"),
    _m("kraken futures ws account-log", "stream futures account-log"),
    # --- Spot WebSocket ---
    _m("kraken ws ticker <PAIR...>", "stream ticker", "PAIR..."),
    _m("kraken ws trades <PAIR...>", "stream trades", "PAIR..."),
    _m("kraken ws book <PAIR...>", "stream book", "PAIR... [--depth N]"),
    _m("kraken ws ohlc <PAIR...>", "stream ohlc", "PAIR... [--interval MIN]"),
    _m("kraken ws instrument [PAIR...]", "stream instrument", "[PAIR...]"),
    _m("kraken ws executions", "stream executions"),
    _m("kraken ws balances", "stream balances"),
    _m("kraken ws level3 <PAIR...>", "stream level3", "PAIR... [--depth 10|100|1000]"),
    _m("kraken ws add-order", "ws add-order", "--pair PAIR --side SIDE --type TYPE --volume V"),
    _m("kraken ws amend-order", "ws amend-order", "ORDER_ID [--price P]"),
    _m("kraken ws cancel-order", "ws cancel-order", "ORDER_ID..."),
    _m("kraken ws cancel-all", "ws cancel-all"),
    _m("kraken ws cancel-after <TIMEOUT>", "ws cancel-after", "SECONDS"),
    _m("kraken ws batch-add", "ws batch-add", "FILE"),
    _m("kraken ws batch-cancel", "ws batch-cancel", "ORDER_ID..."),
    # --- Spot paper trading: the local exchange and a paper profile ---
    _m("kraken paper init", "exchange account add", "NAME --fund USD=10000 --profile paper", PAPER),
    _m("kraken paper reset", "exchange serve", "--fresh", "a fresh exchange state; or `exchange account remove NAME` and add it again"),
    _m("kraken paper balance", "balances", "--profile paper", PAPER),
    _m("kraken paper buy <PAIR> <VOLUME>", "orders create", "--side buy --pair PAIR --volume V --type TYPE --profile paper", PAPER),
    _m("kraken paper sell <PAIR> <VOLUME>", "orders create", "--side sell --pair PAIR --volume V --type TYPE --profile paper", PAPER),
    _m("kraken paper orders", "orders list", "--profile paper", PAPER),
    _m("kraken paper cancel <ORDER_ID>", "orders cancel", "TXID --profile paper", PAPER),
    _m("kraken paper cancel-all", "orders cancel-all", "--profile paper", PAPER),
    _m("kraken paper history", "trades list", "--profile paper", PAPER),
    _m("kraken paper status", "trade-balance", "--profile paper", PAPER),
    # --- Futures paper trading: the same local exchange (it serves Futures too) ---
    _m("kraken futures paper init", "exchange account add", "NAME --fund USD=10000 --profile paper", PAPER + "; move collateral with `futures transfer`"),
    _m("kraken futures paper reset", "exchange serve", "--fresh", "a fresh exchange state; or remove and add the account"),
    _m("kraken futures paper balance", "futures accounts", "--profile paper", PAPER),
    _m("kraken futures paper status", "futures accounts", "--profile paper", PAPER),
    _m("kraken futures paper buy <SYMBOL> <SIZE>", "futures orders create", "--side buy --symbol SYMBOL --size SIZE --type TYPE --profile paper", PAPER),
    _m("kraken futures paper sell <SYMBOL> <SIZE>", "futures orders create", "--side sell --symbol SYMBOL --size SIZE --type TYPE --profile paper", PAPER),
    _m("kraken futures paper orders", "futures orders list", "--profile paper", PAPER),
    _m("kraken futures paper order-status <ORDER_ID>", "futures orders status", "ORDER_ID --profile paper", PAPER),
    _m("kraken futures paper edit-order", "futures orders edit", "ORDER_ID --profile paper", PAPER),
    _m("kraken futures paper cancel", "futures orders cancel", "ORDER_ID --profile paper", PAPER),
    _m("kraken futures paper cancel-all", "futures orders cancel-all", "--profile paper", PAPER),
    _m("kraken futures paper batch-order <JSON>", "futures orders batch", "FILE --profile paper", PAPER),
    _m("kraken futures paper positions", "futures positions", "--profile paper", PAPER),
    _m("kraken futures paper fills", "futures fills", "--profile paper", PAPER),
    _m("kraken futures paper history", "futures account-log", "--profile paper", PAPER + "; realised PnL and closed positions"),
    _m("kraken futures paper leverage", "futures leverage get", "--profile paper", PAPER),
    _m("kraken futures paper set-leverage <SYMBOL> <LEVERAGE>", "futures leverage set", "SYMBOL LEVERAGE --profile paper", PAPER),
    # --- credentials and utilities ---
    _m("kraken auth set", "profile add", "NAME", "the secret goes to the OS keyring (prompted, never on argv)"),
    _m("kraken auth show", "profile show", "[NAME]", "keys redacted"),
    _m("kraken auth test", "profile test", "[NAME]"),
    _m("kraken auth reset", "profile remove", "NAME", "removes the profile and its keyring secrets"),
    _m("kraken setup", "profile add", "NAME", "prompts for the key and secret; `profile import` for example profiles"),
    _m("kraken shell", "mcp", "", "no REPL: every command is one-shot in your shell; for agents, `kraken-ops mcp` serves the commands as tools"),
]


def render_markdown() -> list[str]:
    """The mapping section of docs/cli.md."""
    lines = [
        "## Kraken CLI command -> kraken-ops command",
        "",
        f"Every command of Kraken's official CLI (`kraken`, krakenfx/kraken-cli), from {SOURCE}: {len(MAPPINGS)} entries,",
        "and the kraken-ops command that does the same. Global options (`--profile`, `-o`) work on all of them; Kraken's",
        "`--api-key`/`--api-secret` flags correspond to a profile. Generated from `kraken_ops/cli/kraken_cli_map.py`.",
        "",
        "| Kraken CLI | kraken-ops | note |",
        "|---|---|---|",
    ]
    for m in MAPPINGS:
        command = m.command.replace("|", "\\|")
        lines.append(f"| `{m.kraken}` | `{command}` | {m.note.replace('|', '/')} |")
    return lines


__all__ = ["MAPPINGS", "Mapping", "SOURCE", "render_markdown"]
