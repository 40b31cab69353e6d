"""Admin funding of Futures wallets: ``exchange account add --fund-futures`` and paper profiles.

Runs outside the server (the CLI writes the state database, as ``account add --fund`` does for
Spot): the Futures tables are created if the state has none yet, the wallet balance is raised
and the account log gets an ``admin transfer`` entry. A running exchange reads wallet balances
from the database, so it sees the funds at once.

``[WALLET:]ASSET=AMOUNT``: ``WALLET`` is ``flex`` (the multi-collateral wallet, the default),
``cash`` or the single-collateral wallet of an inverse contract (``fi_xbtusd`` holds XBT,
``fi_ethusd`` ETH); ``ASSET`` is a Futures currency (USD, XBT, ETH, EUR, USDT, USDC; BTC and
Kraken's Spot ids such as ZUSD are accepted).
"""

from __future__ import annotations

import json
import time
import uuid
from decimal import Decimal, InvalidOperation
from typing import Any, Iterable

#: paper profiles get this Futures collateral unless --fund-futures says otherwise: 10,000 USD
#: of flex collateral, and coin for the single-collateral wallets of the inverse contracts
DEFAULT_FUTURES_FUNDS: tuple[str, ...] = ("flex:USD=10000", "fi_xbtusd:XBT=0.5", "fi_ethusd:ETH=1")


class FuturesFundingError(ValueError):
    """A ``--fund-futures`` item that cannot be credited (one line, for the CLI)."""


def parse_futures_funds(items: Iterable[str]) -> list[tuple[str, str, Decimal]]:
    """``["USD=10000", "fi_ethusd:ETH=1"]`` -> ``[("flex", "USD", Decimal("10000")), ("fi_ethusd", "ETH", Decimal("1"))]``."""
    from kraken_ops.exchange.futures.instruments import FLEX_ASSETS, INSTRUMENTS, WALLETS, normalize_asset
    from kraken_ops.exchange.state import AmountError, check_admin_amount

    out: list[tuple[str, str, Decimal]] = []
    for item in items:
        spec, sep, amount = str(item).partition("=")
        if not sep or not spec.strip():
            raise FuturesFundingError(f"bad --fund-futures {item!r}: expected [WALLET:]ASSET=AMOUNT, e.g. USD=10000 or fi_ethusd:ETH=1")
        wallet, _, asset = spec.strip().rpartition(":")
        wallet = (wallet or "flex").strip().lower()
        if wallet not in WALLETS:
            raise FuturesFundingError(f"bad --fund-futures {item!r}: unknown wallet {wallet!r} (known: {', '.join(WALLETS)})")
        unit = normalize_asset(asset.strip())
        unit = {"ZGBP": "GBP"}.get(unit, unit)
        inverse = [i for i in INSTRUMENTS.values() if i.inverse and i.wallet == wallet]
        allowed = (inverse[0].collateral,) if inverse else FLEX_ASSETS
        if unit not in allowed:
            raise FuturesFundingError(f"bad --fund-futures {item!r}: the {wallet} wallet holds {', '.join(allowed)}")
        try:
            value = check_admin_amount(Decimal(amount.strip()))
        except InvalidOperation:
            raise FuturesFundingError(f"bad --fund-futures {item!r}: {amount.strip()!r} is not a decimal number") from None
        except AmountError as exc:
            raise FuturesFundingError(f"bad --fund-futures {item!r}: {exc}") from None
        out.append((wallet, unit, value))
    return out


def credit_futures(db: Any, account: str, wallet: str, asset: str, amount: Decimal, *, info: str = "admin transfer",
                   now: float | None = None) -> Decimal:
    """Add ``amount`` to a Futures wallet of ``account`` in the state ``db``; returns the new balance."""
    from kraken_ops.exchange.futures.engine import SCHEMA
    from kraken_ops.exchange.futures.util import iso_ms

    if db.account(account) is None:
        from kraken_ops.exchange.state import StateError

        raise StateError(f"no account named {account!r}")
    for stmt in SCHEMA.split(";"):
        if stmt.strip():
            db.execute(stmt)
    now = time.time() if now is None else now
    with db.transaction():
        rows = db.query("SELECT amount FROM fut_wallets WHERE account=? AND wallet=? AND asset=?", (account, wallet, asset))
        old = Decimal(rows[0]["amount"]) if rows else Decimal(0)
        new = old + amount
        db.execute("INSERT INTO fut_wallets(account, wallet, asset, amount) VALUES(?,?,?,?)"
                   " ON CONFLICT(account, wallet, asset) DO UPDATE SET amount=excluded.amount",
                   (account, wallet, asset, str(new)))
        entry = {"date": iso_ms(now), "asset": asset.lower(), "info": info, "booking_uid": str(uuid.uuid4()),
                 "margin_account": wallet, "old_balance": str(old), "new_balance": str(new),
                 "old_average_entry_price": None, "new_average_entry_price": None, "trade_price": None,
                 "mark_price": None, "realized_pnl": None, "fee": None, "execution": None,
                 "collateral": asset if wallet == "flex" else None, "funding_rate": None, "realized_funding": None,
                 "contract": None, "conversion_spread_percentage": None, "liquidation_fee": None}
        db.execute("INSERT INTO fut_log(account, time, info, data) VALUES(?,?,?,?)",
                   (account, int(now * 1000), info, json.dumps(entry)))
    return new


__all__ = ["DEFAULT_FUTURES_FUNDS", "FuturesFundingError", "parse_futures_funds", "credit_futures"]
