"""Empty collections in Kraken's shape (issue 11, item 3)."""

from __future__ import annotations

from typing import Any

from helpers import Spot, name


def test_open_positions_is_a_list_with_consolidation_and_an_object_without(exchange: Any) -> None:
    """Kraken: positions keyed by txid, or with ``consolidation=market`` a list per pair; ccxt's
    fetch_positions sends ``docalcs=true&consolidation=market`` and reads a list."""
    c = Spot(exchange.url, exchange.add_account(name()))
    assert c.ok("OpenPositions") == {}
    assert c.ok("OpenPositions", {"docalcs": "true"}) == {}
    assert c.ok("OpenPositions", {"docalcs": "true", "consolidation": "market"}) == []
    assert c.error("OpenPositions", {"consolidation": "pair"}) == ["EGeneral:Invalid arguments:consolidation"]
    assert c.error("OpenPositions", {"docalcs": "maybe"}) == ["EGeneral:Invalid arguments:docalcs"]


def test_the_sdk_gets_the_consolidated_list(exchange: Any) -> None:
    from kraken_ops.spot import User

    a = exchange.add_account(name())
    user = User(key=a.spot_key, secret=a.spot_secret, url=exchange.url)
    assert user.get_open_positions() == []  # the SDK sends consolidation=market, as python-kraken-sdk
    assert user.get_open_positions(consolidation=None) == {}
