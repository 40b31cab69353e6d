"""``kraken-ops portfolio`` against the local exchange: every account valued once, in every output format."""

from __future__ import annotations

import io
import json
from decimal import Decimal
from typing import Any

import pytest

from kraken_ops.cli.selection import select_profiles

D = Decimal
DOT_STRATEGY = "ESRFUO3-Q62XD-WIOIL7"  # the local exchange's instant DOT strategy


def _fund_futures(exchange: Any, account: Any, wallet: str, asset: str, amount: str) -> None:
    exchange.call(lambda: exchange.ctx.futures_engine.credit(account.name, wallet, asset, D(amount), info="test"))


def _trader(cli: Any, name: str) -> Any:
    """A paper profile with Spot funds, an Earn allocation, a Futures position and an open order."""
    from kraken_ops.futures import Trade as FuturesTrade
    from kraken_ops.spot import Earn, Trade

    account = cli.add_profile(name, cli.account({"ZUSD": "10000", "XXBT": "1", "DOT": "100", "AAPLx": "2"}))
    url = cli.exchange.url
    with Earn(key=account.spot_key, secret=account.spot_secret, url=url) as earn:
        earn.allocate_earn_funds(amount="40", strategy_id=DOT_STRATEGY)
    with Trade(key=account.spot_key, secret=account.spot_secret, url=url) as trade:
        trade.create_order(ordertype="limit", side="buy", pair="XBTUSD", volume="0.01", price="1000")
    _fund_futures(cli.exchange, account, "flex", "USD", "2000")
    with FuturesTrade(key=account.futures_key, secret=account.futures_secret, url=url) as futures:
        futures.create_order(orderType="mkt", symbol="PF_XBTUSD", side="buy", size="0.01")
    return account


def _json(result: Any) -> Any:
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def _holdings(doc: dict, profile: str) -> dict[tuple[str, str, str], dict]:
    return {(h["source"], h["account"], h["asset"]): h for h in doc["holdings"] if h["profile"] == profile}


def test_every_account_is_valued_once_per_place_and_the_totals_add_up(cli):
    _trader(cli, "bot1")
    cli.add_profile("bot2", cli.account({"ZUSD": "5000", "XETH": "2"}))
    doc = _json(cli("portfolio", "--all-profiles", "-o", "json"))
    assert doc["currency"] == "USD" and doc["complete"] is True and doc["unvalued"] == [] and doc["errors"] == []
    bot1 = _holdings(doc, "bot1")
    assert D(bot1[("spot", "spot", "DOT")]["amount"]) == 60
    assert D(bot1[("earn", DOT_STRATEGY, "DOT")]["amount"]) == 40  # the DOT.F wallet balance is not added again
    assert D(doc["assets"]["DOT"]["amount"]) == 100
    assert D(bot1[("spot", "spot", "AAPLx")]["amount"]) == 2 and bot1[("spot", "spot", "AAPLx")]["method"] == "direct (AAPLxUSD)"
    assert D(bot1[("futures", "flex", "USD")]["amount"]) > 1990  # the collateral after the taker fee
    for h in doc["holdings"]:
        assert D(h["value"]) == (D(h["amount"]) * D(h["rate"])).quantize(D("0.0001")) or h["method"] not in ("direct", "same")
    (position,) = doc["positions"]
    assert (position["profile"], position["symbol"], position["side"], position["size"]) == ("bot1", "PF_XBTUSD", "long", "0.01")
    assert position["pnl_source"] == "computed" and position["pnl_currency"] == "USD"
    entry, mark = D(position["entry_price"]), D(position["mark_price"])
    assert D(position["unrealized_pnl"]) == (D("0.01") * (mark - entry)).quantize(D("0.0001"))
    accounts = doc["accounts"]
    for name in ("bot1", "bot2"):
        a = accounts[name]
        assert D(a["total"]) == D(a["spot"]) + D(a["earn"]) + D(a["futures"]) + D(a["unrealized_pnl"])
        assert D(a["total"]) == sum(D(h["value"]) for h in doc["holdings"] if h["profile"] == name) + sum(
            D(p["value"]) for p in doc["positions"] if p["profile"] == name
        )
    assert D(doc["total"]) == D(accounts["bot1"]["total"]) + D(accounts["bot2"]["total"])
    assert accounts["bot1"]["futures_accounts"]["flex"]["type"] == "multiCollateralMarginAccount"


def test_table_for_people_fits_80_columns_and_shows_every_part(cli):
    _trader(cli, "bot1")
    cli.add_profile("bot2", cli.account({"ZUSD": "5000"}))
    result = cli("portfolio", "-p", "bot1", "-p", "bot2", "-o", "table", "--no-color")
    assert result.exit_code == 0, result.stderr
    text = result.stdout
    for part in ("Portfolio in USD", "Holdings", "Futures positions", "By asset", "By account", "Total ", "PF_XBTUSD", "bot2"):
        assert part in text
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "{" not in text


def test_csv_and_ndjson_have_one_row_per_holding_and_position(cli):
    _trader(cli, "bot1")
    csv_text = cli("portfolio", "-p", "bot1", "-o", "csv").stdout.splitlines()
    assert csv_text[0] == "profile,source,account,asset,amount,currency,rate,value,method,note"
    rows = [json.loads(line) for line in cli("portfolio", "-p", "bot1", "-o", "ndjson").stdout.splitlines()]
    assert len(rows) == len(csv_text) - 1
    assert {r["source"] for r in rows} == {"spot", "earn", "futures", "position"}


def test_another_currency_and_an_unknown_one(cli):
    cli.add_profile("bot1", cli.account({"ZUSD": "1080", "XXBT": "0.5"}))
    doc = _json(cli("portfolio", "-p", "bot1", "--in", "EUR", "-o", "json"))
    assert doc["currency"] == "EUR"
    usd = _holdings(doc, "bot1")[("spot", "spot", "ZUSD")]
    assert usd["method"] == "inverse (1/EURUSD)"
    bad = cli("portfolio", "-p", "bot1", "--in", "NOPE", "-o", "json")
    assert bad.exit_code == 2
    assert "--in NOPE" in bad.stderr and "Traceback" not in bad.stderr


def test_an_asset_with_no_market_is_listed_and_warned_about_never_counted(cli):
    account = cli.add_profile("bot1", cli.account({"ZUSD": "100"}))
    _fund_futures(cli.exchange, account, "flex", "USDT", "50")  # the local Spot market lists no USDT
    result = cli("portfolio", "-p", "bot1", "-o", "json")
    doc = _json(result)
    assert doc["unvalued"] == [{"profile": "bot1", "source": "futures", "account": "flex", "asset": "USDT", "amount": "50",
                                "reason": "unknown asset (not in Kraken's Assets or AssetPairs)"}]
    assert D(doc["total"]) == D(doc["accounts"]["bot1"]["spot"]) == D("100")
    assert "warning: [bot1] futures flex: 50 USDT not valued in USD" in result.stderr
    assert doc["assets"]["USDT"] == {"amount": "50", "value": None, "share": None, "unvalued_amount": "50"}
    table = cli("portfolio", "-p", "bot1", "-o", "table", "--no-color").stdout
    assert [line.split() for line in table.splitlines() if line.startswith("USDT")] == [["USDT", "50", "not", "valued"]]


def test_a_part_that_fails_is_reported_and_exits_5(cli):
    account = cli.account({"ZUSD": "100", "DOT": "10"}, permissions=["query_funds", "query_orders", "trade", "futures"])
    cli.add_profile("nokeyperm", account)
    result = cli("portfolio", "-p", "nokeyperm", "-o", "json")
    assert result.exit_code == 5
    assert "error: [nokeyperm] Earn allocations: " in result.stderr and "EGeneral:Permission denied" in result.stderr
    doc = json.loads(result.stdout)
    assert doc["complete"] is False and doc["errors"][0]["section"] == "earn" and doc["errors"][0]["error"] == "permission"
    assert D(doc["accounts"]["nokeyperm"]["spot"]) > 100  # the rest is still there


def test_a_wrong_secret_fails_every_part_and_exits_with_the_auth_code(cli):
    cli.add_profile("badkey", cli.account({"ZUSD": "100"}))
    for market in ("spot", "futures"):
        (cli.tmp / f"badkey-{market}.secret").write_text("c2VjcmV0LXRoYXQtaXMtbm90LXRoZS1rZXlz\n")
    result = cli("portfolio", "-p", "badkey", "-o", "json")
    assert result.exit_code == 6
    assert "error: [badkey] Spot balances: " in result.stderr and "error: [badkey] Futures accounts: " in result.stderr
    assert json.loads(result.stdout)["complete"] is False


def test_no_profile_at_all_is_a_config_error(cli):
    result = cli("portfolio", "-o", "json")
    assert result.exit_code == 3
    assert "no profile chosen" in result.stderr and "Traceback" not in result.stderr


def test_a_profile_without_a_futures_key_skips_futures(cli):
    account = cli.account({"ZUSD": "100"})
    cli.add_profile("spotonly", account)
    del cli.profiles["spotonly"]["futures_key"]
    cli._write()
    doc = _json(cli("portfolio", "-p", "spotonly", "-o", "json"))
    assert doc["accounts"]["spotonly"]["skipped"] == {
        "futures_accounts": "the profile has no Futures key", "futures_positions": "the profile has no Futures key"
    }
    assert doc["complete"] is True and D(doc["total"]) == 100


def test_live_ndjson_prints_one_snapshot_a_refresh(cli):
    cli.add_profile("bot1", cli.account({"ZUSD": "100"}))
    result = cli("portfolio", "-p", "bot1", "--live", "-o", "ndjson", "--count", "2", "--interval", "2")
    assert result.exit_code == 0, result.stderr
    snapshots = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(snapshots) == 2 and all(s["total"] == "100.0000" and "accounts" in s for s in snapshots)


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_live_on_a_terminal_redraws_the_tables(cli):
    from kraken_ops.cli.commands.portfolio import PortfolioOptions, run_portfolio
    from kraken_ops.cli.context import GlobalOptions
    from kraken_ops.cli.output import Output

    cli.add_profile("bot1", cli.account({"ZUSD": "100"}))
    screen = _Terminal()
    out = Output("table", color=False, stdout=screen, stderr=io.StringIO())
    report = run_portfolio(PortfolioOptions(live=True, interval=2, count=2), GlobalOptions(profiles=["bot1"]), out)
    assert report.total == D("100.0000")
    text = screen.getvalue()
    assert text.count("Portfolio in USD") >= 2 and "every 2s" in text and "{" not in text


def test_without_live_json_on_a_pipe_is_one_snapshot(cli):
    cli.add_profile("bot1", cli.account({"ZUSD": "100"}))
    result = cli("portfolio", "-p", "bot1", "--live", "--count", "3")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["total"] == "100.0000"  # one JSON document, not a stream


def test_group_selects_the_profiles_tagged_with_it():
    from types import SimpleNamespace

    from kraken_ops.profiles.config import Config

    config = Config(path=None, profiles={  # type: ignore[arg-type]
        "a": SimpleNamespace(tags=("bots",)), "b": SimpleNamespace(tags=("bots", "eu")), "c": SimpleNamespace(tags=()),
        "d": SimpleNamespace(),
    })
    assert select_profiles([], False, ["bots"], config=config) == ["a", "b"]
    assert select_profiles(["c"], False, ["eu"], config=config) == ["c", "b"]
    assert select_profiles(["b"], True, [], config=config) == ["b", "a", "c", "d"]
    with pytest.raises(Exception, match="--group nope: no profile is in this group"):
        select_profiles([], False, ["nope"], config=config)


def test_an_unknown_group_on_the_command_line_is_a_config_error(cli):
    cli.add_profile("bot1", cli.account({"ZUSD": "1"}))
    result = cli("portfolio", "--group", "nope", "-o", "json")
    assert result.exit_code == 3
    assert "error: --group nope: no profile is in this group" in result.stderr
