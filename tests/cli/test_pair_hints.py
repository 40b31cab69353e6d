"""Unknown-pair hints name pairs as the interface in use does: XBTUSD / XXBTZUSD on REST,
BTC/USD on WebSocket v2 (never REST's wsname XBT/USD, which neither accepts)."""

from __future__ import annotations

import pytest

from kraken_ops.cli.errors import pair_hint, ws_v2_name

KNOWN = {
    "XXBTZUSD": {"altname": "XBTUSD", "wsname": "XBT/USD"},
    "XETHZUSD": {"altname": "ETHUSD", "wsname": "ETH/USD"},
    "XDGUSD": {"altname": "XDGUSD", "wsname": "XDG/USD"},
    "AAPLxUSD": {"altname": "AAPLxUSD", "wsname": "AAPLx/USD"},
}


def test_ws_v2_names() -> None:
    assert [ws_v2_name(n) for n in ("XBT/USD", "XDG/USD", "ETH/XBT", "AAPLx/USD")] == ["BTC/USD", "DOGE/USD", "ETH/BTC", "AAPLx/USD"]


@pytest.mark.parametrize(
    ("typed", "rest", "ws"),
    [
        ("XBTUSDD", "XBTUSD (XXBTZUSD)", "BTC/USD"),
        ("XBT/USDD", "XBTUSD (XXBTZUSD)", "BTC/USD"),
        ("BTC/USDD", "XBTUSD (XXBTZUSD)", "BTC/USD"),
        ("XBTUSD", None, "BTC/USD"),  # a REST name on WebSocket v2
        ("DOGE/USDD", "XDGUSD", "DOGE/USD"),
        ("AAPLXUSD", "AAPLxUSD", "AAPLx/USD"),
    ],
)
def test_hint_uses_the_interface_names(typed: str, rest: str | None, ws: str) -> None:
    rest_hint = pair_hint(typed, KNOWN, "rest")
    if rest is not None:
        assert rest_hint is not None and f"did you mean {rest}?" in rest_hint
    ws_hint = pair_hint(typed, KNOWN, "ws")
    assert ws_hint is not None and f"did you mean {ws}?" in ws_hint
    for hint in (rest_hint, ws_hint):
        assert hint is None or "XBT/USD" not in hint


def test_rest_hint_on_the_command_line(cli) -> None:
    cli.add_profile("paper")
    result = cli("market", "ticker", "XBTUSDD", "-p", "paper")
    assert result.exit_code == 10
    assert "hint: did you mean XBTUSD (XXBTZUSD)?" in result.stderr
    assert "XBT/USD" not in result.stderr


def test_stream_book_with_a_rest_pair_name_hints_the_websocket_name(cli) -> None:
    cli.add_profile("paper")
    result = cli("stream", "book", "XBTUSD", "-p", "paper", "--count", "1", "--duration", "20")
    assert result.exit_code == 10, result.stderr
    assert "error: the asset pair is unknown" in result.stderr
    assert "hint: did you mean BTC/USD? (WebSocket v2 names pairs like BTC/USD" in result.stderr
    assert "XBT/USD" not in result.stderr


def test_stream_ticker_with_an_unknown_pair_ends_with_the_hint(cli) -> None:
    cli.add_profile("paper")
    result = cli("stream", "ticker", "XBTUSDD", "-p", "paper", "--count", "1", "--duration", "20")
    assert result.exit_code == 10, result.stderr
    assert "Currency pair not supported XBTUSDD" in result.stderr
    assert "hint: did you mean BTC/USD?" in result.stderr


def test_stream_goes_on_with_the_known_pairs_and_hints_the_unknown_one(cli) -> None:
    cli.add_profile("paper")
    result = cli("stream", "ticker", "ETH/USDD", "BTC/USD", "-p", "paper", "--count", "1", "--duration", "20")
    assert result.exit_code == 0, result.stderr
    assert "hint: did you mean ETH/USD?" in result.stderr
    assert '"channel": "ticker"' in result.stdout or '"channel":"ticker"' in result.stdout


def test_websocket_trading_hints_the_websocket_name(cli) -> None:
    cli.add_profile("bot1")
    result = cli("ws", "add-order", "--pair", "XBTUSDD", "--side", "buy", "--type", "limit", "--volume", "0.01", "--price", "20000",
                 "--validate", "-p", "bot1")
    assert result.exit_code == 10, result.stdout + result.stderr
    assert "hint: did you mean BTC/USD?" in result.stderr
