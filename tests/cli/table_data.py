"""Realistic results for every table view of the CLI (shapes as Kraken documents them).

Long ids (``OQCLML-BW3P3-BUCMWZ``, futures UUIDs), prices like ``60079.1``, big volumes,
xStock pairs (``AAPLxUSD``), futures symbols (``PF_XBTUSD``). JSON numbers are Decimals,
as the SDK parses them. ``T`` is 2026-11-29 22:01:23 UTC.

``DATA`` maps a view id (``module:key``, see ``test_tables.all_views``) to
``(result, tokens)``: the result as the SDK returns it, and tokens a person must see
intact at 80 columns (the most important fields).
"""

from __future__ import annotations

from decimal import Decimal as D
from typing import Any

T = 1795989683  # 2026-11-29 22:01:23 UTC
T_TEXT = "2026-11-29 22:01:23"
ISO = "2026-11-29T22:01:23.123Z"
UUID1 = "2ce038ae-c144-4de7-a0f1-82f7f4fca864"
UUID2 = "c8135f52-2a86-4e26-b629-43cc37da9dbf"
UUID3 = "f7d5571c-6d10-4cf1-944a-048d25682ed0"

OPEN_ORDERS = {
    "open": {
        "OQCLML-BW3P3-BUCMWZ": {
            "refid": None, "userref": 0, "cl_ord_id": "kops-grid-0001", "status": "open", "opentm": D(f"{T}.9138"), "starttm": 0, "expiretm": 0,
            "descr": {"pair": "XBTUSD", "type": "buy", "ordertype": "limit", "price": "60079.1", "price2": "0", "leverage": "none",
                      "order": "buy 1.25000000 XBTUSD @ limit 60079.1", "close": ""},
            "vol": "1.25000000", "vol_exec": "0.50000000", "cost": "30039.55000", "fee": "48.06328", "price": "60079.1",
            "stopprice": "0.00000", "limitprice": "0.00000", "misc": "", "oflags": "fciq,post",
        },
        "OHYO67-6LP66-HMQ437": {
            "refid": None, "userref": 318, "status": "open", "opentm": D(f"{T + 300}.1"), "starttm": 0, "expiretm": 0,
            "descr": {"pair": "AAPLxUSD", "type": "sell", "ordertype": "stop-loss-limit", "price": "201.35", "price2": "200.00", "leverage": "none",
                      "order": "sell 125000.00000000 AAPLxUSD @ stop loss 201.35 -> limit 200.00", "close": ""},
            "vol": "125000.00000000", "vol_exec": "0.00000000", "cost": "0.00000", "fee": "0.00000", "price": "0.00000",
            "stopprice": "0.00000", "limitprice": "0.00000", "misc": "", "oflags": "fciq",
        },
        "OB5VMB-B4U2U-DK2WRW": {
            "refid": None, "userref": 0, "status": "pending", "opentm": D(f"{T + 900}.77"), "starttm": 0, "expiretm": 0,
            "descr": {"pair": "ETHUSD", "type": "buy", "ordertype": "market", "price": "0", "price2": "0", "leverage": "none",
                      "order": "buy 37.50000000 ETHUSD @ market", "close": ""},
            "vol": "37.50000000", "vol_exec": "0.00000000", "cost": "0.00000", "fee": "0.00000", "price": "0.00000",
            "stopprice": "0.00000", "limitprice": "0.00000", "misc": "", "oflags": "fciq",
        },
    }
}
ORDER_TOKENS = ["OQCLML-BW3P3-BUCMWZ", "OHYO67-6LP66-HMQ437", "60079.1", "201.35", "AAPLxUSD", "125000", "1.25", "XBTUSD"]


def _closed() -> dict[str, Any]:
    orders = {}
    for txid, order in OPEN_ORDERS["open"].items():
        orders[txid] = {**order, "status": "closed" if txid.startswith("OQ") else "canceled", "closetm": D(f"{T + 3600}.52"),
                        "reason": None if txid.startswith("OQ") else "User requested"}
    return {"closed": orders, "count": 3}


TRADES = {
    "count": 2,
    "trades": {
        "THVRQM-33VKH-UCI7BS": {
            "ordertxid": "OQCLML-BW3P3-BUCMWZ", "postxid": "TKH2SE-M7IF5-CFI7LT", "pair": "XXBTZUSD", "time": D(f"{T}.8115635"),
            "type": "buy", "ordertype": "limit", "price": "60079.10000", "cost": "30039.55000", "fee": "48.06328", "vol": "0.50000000",
            "margin": "0.00000", "leverage": "0", "misc": "", "trade_id": 43914718, "maker": True,
        },
        "TCWJEG-FL4SZ-3FKGH6": {
            "ordertxid": "OHYO67-6LP66-HMQ437", "postxid": "TKH2SE-M7IF5-CFI7LT", "pair": "AAPLxUSD", "time": D(f"{T + 60}.36"),
            "type": "sell", "ordertype": "market", "price": "201.17", "cost": "25146250.00000", "fee": "65380.25000", "vol": "125000.00000000",
            "margin": "0.00000", "leverage": "0", "misc": "", "trade_id": 43914719, "maker": False,
        },
    },
}
LEDGERS = {
    "count": 2,
    "ledger": {
        "L4UESK-KG3EQ-UFO4T5": {"aclass": "currency", "amount": "-30039.5500", "asset": "ZUSD", "balance": "241983.1415", "fee": "48.0633",
                                "refid": "THVRQM-33VKH-UCI7BS", "time": D(f"{T}.8115911"), "type": "trade", "subtype": ""},
        "LKLSX7-VUXD4-HDLK2P": {"aclass": "currency", "amount": "0.5000000000", "asset": "XXBT", "balance": "2.1031709100", "fee": "0.0000000000",
                                "refid": "THVRQM-33VKH-UCI7BS", "time": D(f"{T}.8115911"), "type": "trade", "subtype": ""},
        "LQ5FSG-GK2YX-QMCEQA": {"aclass": "tokenized_asset", "amount": "-125000.0000000000", "asset": "AAPLx", "balance": "0.0000000000",
                                "fee": "0.0000000000", "refid": "TCWJEG-FL4SZ-3FKGH6", "time": D(f"{T + 60}.36"), "type": "trade", "subtype": ""},
    },
}
POSITIONS = {
    "TF5GVO-T7ZZ2-6NBKBI": {
        "ordertxid": "OQCLML-BW3P3-BUCMWZ", "posstatus": "open", "pair": "XXBTZUSD", "time": D(f"{T}.12341"), "type": "buy", "ordertype": "limit",
        "cost": "801243.52842", "fee": "208.44527", "vol": "8.82412861", "vol_closed": "0.20200000", "margin": "17234.123968", "value": "530143.1",
        "net": "+134186.9728", "terms": "0.0100% per 4 hours", "rollovertm": str(T + 14400), "misc": "", "oflags": "",
    },
    "TYMRFG-URRG5-2ZTQSD": {
        "ordertxid": "OB5VMB-B4U2U-DK2WRW", "posstatus": "open", "pair": "XETHZUSD", "time": D(f"{T + 60}.5"), "type": "sell", "ordertype": "market",
        "cost": "112500.00000", "fee": "292.50000", "vol": "37.50000000", "vol_closed": "0.00000000", "margin": "22500.00000", "value": "114937.5",
        "net": "-2437.5000", "terms": "0.0100% per 4 hours", "rollovertm": str(T + 14460), "misc": "", "oflags": "",
    },
}
EXPORTS = [
    {"id": "GEHI", "descr": "ledgers of November for the tax adviser", "format": "CSV", "report": "ledgers", "status": "Processed",
     "aclass": "currency", "fields": "all", "asset": "all", "subtype": "all", "starttm": "1793491200", "endtm": str(T), "createdtm": str(T),
     "expiretm": str(T + 1209600), "completedtm": str(T + 95), "datastarttm": "1793491200", "dataendtm": str(T), "flags": "0"},
    {"id": "QYUBFXKAJZAHNMTZ", "descr": "kraken-ops export", "format": "TSV", "report": "trades", "status": "Queued",
     "aclass": "currency", "fields": "all", "asset": "all", "subtype": "all", "starttm": "1793491200", "endtm": str(T), "createdtm": str(T + 30),
     "expiretm": str(T + 1209630), "completedtm": "0", "datastarttm": "1793491200", "dataendtm": str(T), "flags": "0"},
]
DEPOSITS = [
    {"method": "Bank Frick (SEPA)", "aclass": "currency", "asset": "ZEUR", "refid": "QDFN2EK-XMFWQ4-GPB7SG", "txid": "7702226", "info": "NTSBDEB1XXX",
     "amount": "1000.0000", "fee": "0.0000", "time": T, "status": "Success"},
    {"method": "Ethereum (ERC20)", "aclass": "currency", "asset": "XETH", "refid": "Q5QTWMS-GXER37-ZI4IH6",
     "txid": "0x2abb04dafd3caed53d4f2912651391c53b912cc4bca1f8b30d09a5cebec5c2d6", "info": "0x35be16f2340c97c02c0cf4dcd4e2e7b1c89b0ac1",
     "amount": "125.4123000000", "fee": "0.0000000000", "time": T + 3600, "status": "Settled", "status-prop": "onhold"},
]

FUTURES_ORDERS = {
    "result": "success",
    "openOrders": [
        {"order_id": UUID1, "symbol": "PF_XBTUSD", "side": "buy", "orderType": "lmt", "limitPrice": D("60079.1"), "unfilledSize": D("12.5"),
         "receivedTime": ISO, "status": "untouched", "filledSize": D("0"), "reduceOnly": False, "lastUpdateTime": ISO, "cliOrdId": "kops-hedge-7"},
        {"order_id": UUID2, "symbol": "PF_ETHUSD", "side": "sell", "orderType": "take_profit", "limitPrice": D("1860"), "stopPrice": D("1880.4"),
         "unfilledSize": D("1000"), "receivedTime": ISO, "status": "partiallyFilled", "filledSize": D("250"), "reduceOnly": True,
         "triggerSignal": "last", "lastUpdateTime": ISO},
    ],
    "serverTime": ISO,
}

DATA: dict[str, tuple[Any, list[str]]] = {
    # --- market ---
    "market:assets": ({"XXBT": {"aclass": "currency", "altname": "XBT", "decimals": 10, "display_decimals": 5, "collateral_value": D("1.0"), "status": "enabled"},
                       "AAPLx": {"aclass": "tokenized_asset", "altname": "AAPLx", "decimals": 8, "display_decimals": 4, "status": "enabled"}}, ["XXBT", "AAPLx", "enabled"]),
    "market:pairs": ({"XXBTZUSD": {"altname": "XBTUSD", "wsname": "XBT/USD", "aclass_base": "currency", "base": "XXBT", "quote": "ZUSD", "pair_decimals": 1,
                                   "lot_decimals": 8, "ordermin": "0.0001", "costmin": "0.5", "tick_size": "0.1", "status": "online"},
                      "AAPLxUSD": {"altname": "AAPLxUSD", "wsname": "AAPLx/USD", "aclass_base": "tokenized_asset", "base": "AAPLx", "quote": "ZUSD",
                                   "pair_decimals": 2, "lot_decimals": 8, "ordermin": "0.01", "costmin": "0.5", "tick_size": "0.01", "status": "online"},
                      "XDGUSD": {"altname": "XDGUSD", "wsname": "XDG/USD", "aclass_base": "currency", "base": "XXDG", "quote": "ZUSD", "pair_decimals": 7,
                                 "lot_decimals": 8, "ordermin": "12.5", "costmin": "0.5", "tick_size": "0.0000001", "status": "online"}},
                     ["XXBTZUSD", "XBTUSD", "AAPLxUSD", "XDGUSD"]),
    "market:ticker": ({"XXBTZUSD": {"a": ["60079.20000", "3", "3.000"], "b": ["60079.10000", "1", "1.000"], "c": ["60079.10000", "0.00842808"],
                                    "v": ["3564.58017484", "4138.93906134"], "p": ["59351.31431", "59329.55480"], "t": [33574, 43062],
                                    "l": ["58813.10000", "58813.10000"], "h": ["60792.30000", "60792.30000"], "o": "59173.00000"},
                       "AAPLxUSD": {"a": ["201.36", "10", "10.000"], "b": ["201.35", "4", "4.000"], "c": ["201.35", "2.50000000"],
                                    "v": ["125000.00000000", "1250000.00000000"], "p": ["200.11", "199.87"], "t": [812, 9331],
                                    "l": ["197.02", "197.02"], "h": ["203.99", "203.99"], "o": "198.50"}}, ["XXBTZUSD", "60079.1", "60079.2", "AAPLxUSD", "201.35"]),
    "market:grouped-book": ({"pair": "XBTUSD", "grouping": 10,
                             "bids": [{"price": "60070.0", "qty": "125.00100000"}, {"price": "60060.0", "qty": "1.09100000"}],
                             "asks": [{"price": "60080.0", "qty": "0.50000000"}, {"price": "60090.0", "qty": "37.50000000"}]},
                            ["60070", "125.001", "60080", "37.5"]),
    "market:book-l3": ({"pair": "XBTUSD",
                        "bids": [{"price": "60079.1", "qty": "1.25000000", "order_id": "OQCLML-BW3P3-BUCMWZ", "timestamp": T * 1_000_000_000}],
                        "asks": [{"price": "60079.2", "qty": "125.00100000", "order_id": "OHYO67-6LP66-HMQ437", "timestamp": T * 1_000_000_000}]},
                       ["60079.1", "60079.2", "OQCLML-BW3P3-BUCMWZ", "OHYO67-6LP66-HMQ437", "125.001"]),
    "market:ohlc": ({"XXBTZUSD": [[T, "60079.1", "60112.0", "60001.3", "60088.8", "60055.4", "12.03390376", 812],
                                  [T + 60, "60088.8", "60090.0", "60050.0", "60050.0", "60070.1", "3.50000000", 96]], "last": T},
                    ["60079.1", "60112", "60001.3", "60088.8", T_TEXT]),
    "market:book": ({"XXBTZUSD": {"asks": [["60079.20000", "1.091", 1795989680], ["60081.00000", "125.00100", 1795989681]],
                                  "bids": [["60079.10000", "2.240", 1795989683], ["60077.50000", "0.090", 1795989682]]}},
                    ["60079.2", "60079.1", "125.001", "60077.5"]),
    "market:trades": ({"XXBTZUSD": [["60079.10000", "0.00071054", D(f"{T}.2524643"), "b", "l", "", 57811127],
                                    ["60079.20000", "12.03180000", D(f"{T + 1}.1806278"), "s", "m", "", 57811128]], "last": "1795989684180627800"},
                      ["60079.1", "0.00071054", "12.0318", T_TEXT]),
    "market:spreads": ({"XXBTZUSD": [[T, "60079.10000", "60079.20000"], [T + 1, "60079.00000", "60081.40000"]], "last": T + 1},
                       ["60079.1", "60079.2", "60081.4", T_TEXT]),
    "market:time": ({"unixtime": T, "rfc1123": "Sun, 29 Nov 26 22:01:23 +0000"}, [T_TEXT]),
    "market:status": ({"status": "online", "timestamp": "2026-11-29T22:01:23Z"}, ["online", T_TEXT]),
    # --- balances ---
    "balances:balances": ({"ZUSD": "241983.1415", "XXBT": "2.1031709100", "AAPLx": "125000.00000000", "DOT": "32011.21197000", "XETH": "0.0000040"},
                          ["241983.1415", "2.10317091", "125000", "AAPLx"]),
    "balances:credit-lines": ({"asset_details": {"ZUSD": {"balance": "241983.1415", "credit_limit": "125000.0000", "credit_used": "30039.5500",
                                                      "available_credit": "94960.4500"}},
                               "limits_monitor": {"total_credit_usd": "125000.0000", "total_credit_used_usd": "30039.5500",
                                                  "total_collateral_value_usd": "241983.1415", "equity_usd": "241983.1415",
                                                  "ongoing_balance": "1.0000", "debt_to_equity": "0.1241"}},
                              ["ZUSD", "241983.1415", "125000", "30039.55", "94960.45"]),
    "balances:holds": ({"XXBT": {"balance": "2.1031709100", "hold_trade": "0.1401000000"}, "ZUSD": {"balance": "241983.1415", "hold_trade": "30039.5500",
                        "credit": "0.0000", "credit_used": "0.0000"}, "AAPLx": {"balance": "125000.00000000", "hold_trade": "125000.00000000"}},
                       ["2.10317091", "0.1401", "1.96307091", "241983.1415", "211943.5915"]),
    "balances:show": ({"asset": "XXBT", "balance": "2.1031709100", "hold_trade": "0.1401000000", "available": "1.9630709100"}, ["1.96307091"]),
    "balances:trade-balance": ({"eb": "983691.5512", "tb": "322296.9914", "m": "17234.1240", "uv": "0.0000", "n": "+134186.9728", "c": "801243.5284",
                                "v": "530143.1000", "e": "1117878.5240", "mf": "1100644.4000", "ml": "6486.34"}, ["983691.5512", "+134186.9728"]),
    # --- orders ---
    "orders:list": (OPEN_ORDERS, ORDER_TOKENS),
    "orders:closed": (_closed(), ORDER_TOKENS),
    "orders:show": ({k: v for k, v in _closed()["closed"].items()}, ORDER_TOKENS),
    "orders:create": ({"txid": ["OQCLML-BW3P3-BUCMWZ"], "descr": {"order": "buy 1.25000000 XBTUSD @ limit 60079.1"}}, ["OQCLML-BW3P3-BUCMWZ", "60079.1"]),
    "orders:batch": ({"orders": [{"pair": "XBTUSD", "order": "buy 1.25000000 XBTUSD @ limit 60079.1", "txid": "OQCLML-BW3P3-BUCMWZ"},
                                 {"pair": "XBTUSD", "order": "sell 2.00000000 XBTUSD @ limit 61000.0", "txid": "OBFYFP-XVQNL-P4GMWF"},
                                 {"pair": "AAPLxUSD", "error": "EOrder:Insufficient funds"}]}, ["OQCLML-BW3P3-BUCMWZ", "OBFYFP-XVQNL-P4GMWF", "AAPLxUSD"]),
    "orders:amends": ({"amends": [{"amend_id": "TEZA4R-DSDGT-IJBOJK", "amend_type": "original", "order_qty": "1.25000000", "remaining_qty": "1.25000000",
                                   "limit_price": "60079.1", "timestamp": (T * 1000) + 123},
                                  {"amend_id": "TJSMEH-AA67V-YUSQ6O", "amend_type": "user", "order_qty": "1.25000000", "remaining_qty": "0.75000000",
                                   "limit_price": "60112.4", "timestamp": (T * 1000) + 60123, "reason": "user requested"}], "count": 2},
                      ["60079.1", "60112.4", "0.75", T_TEXT]),
    "orders:result": ({"status": "ok", "txid": "OFVXHJ-KPQ3B-VS7ELA", "originaltxid": "OBGFYP-XVQNL-P4GMWF", "volume": "0.75", "price": "60079.1",
                       "orders_cancelled": 1, "descr": {"order": "sell 0.75000000 XBTUSD @ limit 60079.1"}}, ["OFVXHJ-KPQ3B-VS7ELA", "OBGFYP-XVQNL-P4GMWF"]),
    # --- trades, ledgers, positions ---
    "trades:list": (TRADES, ["XXBTZUSD", "60079.1", "AAPLxUSD", "125000", "25146250", T_TEXT]),
    "trades:show": (TRADES["trades"], ["XXBTZUSD", "60079.1", "AAPLxUSD", "125000", T_TEXT]),
    "trades:volume": ({"currency": "ZUSD", "volume": "212243.1210", "fees": {"XXBTZUSD": {"fee": "0.2200", "minfee": "0.1000", "maxfee": "0.2200",
                       "nextfee": "0.2000", "tiervolume": "0.0000", "nextvolume": "250000.0000"}},
                       "fees_maker": {"XXBTZUSD": {"fee": "0.1200", "minfee": "0.0000", "maxfee": "0.1200", "nextfee": "0.1000",
                                                   "tiervolume": "0.0000", "nextvolume": "250000.0000"}}}, ["212243.121", "fees.XXBTZUSD.fee"]),
    "ledgers:list": (LEDGERS, ["-30039.55", "241983.1415", "AAPLx", "-125000", T_TEXT]),
    "ledgers:show": (LEDGERS["ledger"], ["-30039.55", "241983.1415", "AAPLx", "-125000", T_TEXT]),
    "positions:VIEW": (POSITIONS, ["XXBTZUSD", "8.62212861", "+134186.9728", "-2437.5", "37.5", "long", "short"]),  # open volume: vol - vol_closed
    "positions:close": ({"orders": [
        {"pair": "XXBTZUSD", "side": "sell", "volume": "8.62212861", "txid": "OQCLML-BW3P3-BUCMWZ",
         "descr": "sell 8.62212861 XBTUSD @ market", "positions": ["TF5GVO-T7ZZ2-6NBKBI", "TYMRFG-URRG5-2ZTQSD"]},
        {"pair": "AAPLxUSD", "side": "buy", "volume": "125000", "txid": "OHYO67-6LP66-HMQ437", "descr": "buy 125000.00000000 AAPLxUSD @ market",
         "positions": ["TJSMEH-AA67V-YUSQ6O"]}]}, ["XXBTZUSD", "8.62212861", "OQCLML-BW3P3-BUCMWZ", "AAPLxUSD", "125000"]),
    # --- exports ---
    "exports:status": (EXPORTS, ["GEHI", "QYUBFXKAJZAHNMTZ", "Processed", "Queued", T_TEXT]),
    "exports:result": ({"id": "GEHI", "status": "Processed", "path": "/home/trader/reports/ledgers-GEHI.zip", "bytes": 1843233}, ["GEHI", "1843233"]),
    # --- funding ---
    "funding:deposit-methods": ([{"method": "Bitcoin", "limit": False, "fee": "0.0000000000", "gen-address": True, "minimum": "0.00010000"},
                                 {"method": "Bitcoin Lightning", "limit": "5.00000000", "fee": "0.0000000000", "gen-address": True, "minimum": "0.00001000"}],
                                ["0.0001", "0.00001"]),
    "funding:withdraw-methods": ([{"asset": "XXBT", "method": "Bitcoin", "network": "Bitcoin", "minimum": "0.0004"},
                                  {"asset": "AAPLx", "method": "AAPLx (Solana)", "network": "Solana", "minimum": "0.01000000"}], ["XXBT", "0.0004", "AAPLx"]),
    "funding:withdraw-addresses": ([{"address": "bc1qxdsh4sdd29h6ldehz0se5c61asq8cgwyjf2y3z", "asset": "XBT", "method": "Bitcoin", "key": "btc-wallet-1",
                                     "verified": True},
                                    {"address": "0x35be16f2340c97c02c0cf4dcd4e2e7b1c89b0ac1", "asset": "ETH", "method": "Ether", "key": "cold-eth", "verified": False,
                                     "memo": "treasury"}], ["bc1qxdsh4sdd29h6ldehz0se5c61asq8cgwyjf2y3z", "btc-wallet-1"]),
    "funding:addresses": ([{"address": "GA5XIGA5C7QTPWXQHY6MCJRMTRZDOSHR6EFIBNDQTCQHG262N4GGKTM", "expiretm": "0", "new": True, "tag": "1668814718654064928"}],
                          ["GA5XIGA5C7QTPWXQHY6MCJRMTRZDOSHR6EFIBNDQTCQHG262N4GGKTM", "1668814718654064928"]),
    "funding:status": (DEPOSITS, ["ZEUR", "1000", "125.4123", "Success", T_TEXT]),
    "funding:result": ({"refid": "I7KGS6-UFMTTQ-AGBS06T"}, ["I7KGS6-UFMTTQ-AGBS06T"]),
    # --- earn ---
    "earn:strategies": ({"next_cursor": None, "items": [
        {"id": "ESMWVX6-JAPVY-23L3CV", "asset": "DOT", "lock_type": {"type": "bonded", "payout_frequency": 604800, "bonding_period": 0,
                                                                      "unbonding_period": 2419200},
         "apr_estimate": {"low": "15.0000", "high": "21.0000"}, "user_min_allocation": "0.01", "allocation_fee": "0.0000", "deallocation_fee": "0.0000",
         "auto_compound": {"type": "enabled"}, "yield_source": {"type": "staking"}, "can_allocate": True, "can_deallocate": True},
        {"id": "ESRFUO3-Q62XD-WIOIL7", "asset": "USDC", "lock_type": {"type": "flex"}, "apr_estimate": {"low": "3.5000", "high": "5.2500"},
         "user_min_allocation": "1", "allocation_fee": "0.0000", "deallocation_fee": "0.0000", "auto_compound": {"type": "enabled"},
         "yield_source": {"type": "opt_in_rewards"}, "can_allocate": True, "can_deallocate": False}]}, ["DOT", "bonded", "15", "21", "5.25"]),
    "earn:allocations": ({"converted_asset": "USD", "total_allocated": "49.2398", "total_rewarded": "0.0675", "next_cursor": None, "items": [
        {"strategy_id": "ESDQCOL-WTZEU-NU55QF", "native_asset": "ETH", "amount_allocated": {"total": {"native": "0.0150000000", "converted": "49.2398"}},
         "total_rewarded": {"native": "0.0000205600", "converted": "0.0675"}}]}, ["ETH", "0.015", "49.2398"]),
    # --- futures ---
    "futures:instruments": ({"result": "success", "instruments": [
        {"symbol": "PF_XBTUSD", "type": "flexible_futures", "tradeable": True, "tickSize": D("0.5"), "contractSize": D("1"), "underlying": "rr_xbtusd",
         "maxPositionSize": D("1000000"), "openingDate": "2022-01-01T00:00:00.000Z"},
        {"symbol": "FI_XBTUSD_261225", "type": "futures_inverse", "tradeable": True, "tickSize": D("0.5"), "contractSize": D("1"), "underlying": "rr_xbtusd",
         "lastTradingTime": "2026-12-25T16:00:00.000Z", "maxPositionSize": D("1000000")}]}, ["PF_XBTUSD", "FI_XBTUSD_261225"]),
    "futures:tickers": ({"tickers": [
        {"tag": "perpetual", "pair": "XBT:USD", "symbol": "PF_XBTUSD", "markPrice": D("60079.35"), "bid": D("60079.1"), "bidSize": D("11.8"),
         "ask": D("60079.6"), "askSize": D("80.7"), "vol24h": D("12096.8"), "volumeQuote": D("726798965.1"), "openInterest": D("4513.3045"),
         "open24h": D("59175"), "indexPrice": D("60081.2"), "last": D("60079.5"), "lastTime": ISO, "lastSize": D("0.0139"), "suspended": False,
         "fundingRate": D("0.000220714078888884"), "fundingRatePrediction": D("6.3914700437486E-05"), "postOnly": False},
        {"tag": "perpetual", "pair": "ETH:USD", "symbol": "PF_ETHUSD", "markPrice": D("1860.12"), "bid": D("1860.1"), "bidSize": D("2.5"), "ask": D("1860.2"),
         "askSize": D("3"), "vol24h": D("96.8"), "openInterest": D("451.3"), "last": D("1860.1"), "suspended": False, "fundingRate": D("-1.2047162502E-8")}]},
                        ["PF_XBTUSD", "60079.1", "60079.6", "60079.5", "PF_ETHUSD"]),
    "futures:book": ({"result": "success", "orderBook": {"bids": [[D("60079.1"), D("3000")], [D("60078.5"), D("1703")]],
                                                           "asks": [[D("60079.6"), D("4200")], [D("60080"), D("27851")]]}}, ["60079.1", "60079.6", "27851"]),
    "futures:trades": ({"history": [{"time": ISO, "trade_id": 100, "price": D("60079.1"), "size": D("2456"), "side": "sell", "type": "fill",
                                     "uid": "de7a2eca-f2bc-4afb-860d-522a9dcc0b12"},
                                    {"time": ISO, "trade_id": 99, "price": D("60079.5"), "size": D("3000"), "side": "buy", "type": "liquidation",
                                     "uid": "c985c7ea-30a5-4456-b857-a4ec9156fb3b"}]}, ["60079.1", "2456", T_TEXT]),
    "futures:funding-rates": ({"rates": [{"timestamp": "2026-11-29T22:01:23.000Z", "fundingRate": D("1.0327058177E-8"), "relativeFundingRate": D("7.182407E-05")},
                                         {"timestamp": "2026-11-30T02:01:23.000Z", "fundingRate": D("-1.2047162502E-8"), "relativeFundingRate": D("-0.000084873103125")}]},
                              ["0.000000010327058177", "0.00007182407", T_TEXT]),
    "futures:candles": ({"candles": [{"time": T * 1000, "open": "60050.0", "high": "60150", "low": "60001.5", "close": "60079.1", "volume": "1312.25"}],
                         "more_candles": True}, ["60079.1", "60001.5", T_TEXT]),
    "futures:fee-schedules": ({"feeSchedules": [{"uid": "5b755fea-c5b0-4307-a66e-b392cd5bd931", "name": "KF USD Multi-Collateral Fees",
                                                 "tiers": [{"makerFee": D("0.02"), "takerFee": D("0.05"), "usdVolume": D("0.0")},
                                                           {"makerFee": D("0.015"), "takerFee": D("0.04"), "usdVolume": D("100000.0")}]}]}, ["0.02", "0.05"]),
    "futures:orders": (FUTURES_ORDERS, ["PF_XBTUSD", "60079.1", "12.5", UUID1, "PF_ETHUSD"]),
    "futures:status": ({"result": "success", "serverTime": ISO, "orders": [
        {"order": {"type": "TRIGGER_ORDER", "orderId": UUID2, "cliOrdId": None, "symbol": "PF_ETHUSD", "side": "sell", "quantity": D("1000"),
                   "filled": D("250"), "limitPrice": D("1860"), "reduceOnly": True, "timestamp": ISO, "lastUpdateTimestamp": ISO},
         "status": "TRIGGER_PLACED", "updateReason": None, "error": None},
        {"order": {"type": "ORDER", "orderId": UUID1, "cliOrdId": "kops-hedge-7", "symbol": "PF_XBTUSD", "side": "buy", "quantity": D("12.5"),
                   "filled": D("0"), "limitPrice": D("60079.1"), "reduceOnly": False, "timestamp": ISO, "lastUpdateTimestamp": ISO},
         "status": "ENTERED_BOOK", "updateReason": "LOADING_MARKET", "error": None}]}, ["PF_XBTUSD", "60079.1", "ENTERED_BOOK"]),
    "futures:positions": ({"result": "success", "openPositions": [
        {"side": "short", "symbol": "PF_XBTUSD", "price": D("60079.749993345933"), "fillTime": ISO, "size": D("8000"),
         "unrealizedFunding": D("5.879463852989987E-05"), "pnlCurrency": "USD"},
        {"side": "long", "symbol": "FI_XBTUSD_261225", "price": D("61002.5"), "fillTime": ISO, "size": D("1250"), "unrealizedFunding": None}]},
                          ["PF_XBTUSD", "60079.749993345933", "8000", "FI_XBTUSD_261225"]),
    "futures:fills": ({"result": "success", "fills": [
        {"fill_id": "15dae264-01e9-4d4c-8962-2f49b98c46f6", "symbol": "PF_XBTUSD", "side": "buy", "order_id": UUID1, "size": D("5.0125"),
         "price": D("60079.1"), "fillTime": ISO, "fillType": "taker", "cliOrdId": "kops-hedge-7"},
        {"fill_id": "3e2ef0d2-5bbf-47c4-b1b4-5a4bcf1f8d32", "symbol": "PF_ETHUSD", "side": "sell", "order_id": UUID2, "size": D("250"),
         "price": D("1880.4"), "fillTime": ISO, "fillType": "maker"}]}, ["PF_XBTUSD", "5.0125", "60079.1", T_TEXT]),
    "futures:accounts": ({"result": "success", "accounts": {
        "cash": {"balances": {"eur": D("4567.7117591172"), "usd": D("5000.0"), "xbt": D("0.1785169809"), "eth": D("0")}, "type": "cashAccount"},
        "fi_xbtusd": {"auxiliary": {"usd": 0, "pv": D("0.0"), "pnl": D("0.0"), "af": D("0.0"), "funding": D("0.0")},
                      "marginRequirements": {"im": D("0.0"), "mm": D("0.0"), "lt": D("0.0"), "tt": D("0.0")}, "balances": {"xbt": D("0.0")},
                      "currency": "xbt", "type": "marginAccount"},
        "flex": {"currencies": {"usd": {"quantity": D("125000.5"), "value": D("125000.5")}}, "initialMargin": D("2504.1"), "balanceValue": D("125000.5"),
                 "portfolioValue": D("126312.8825"), "pnl": D("1312.3825"), "availableMargin": D("123808.7825"), "type": "multiCollateralMarginAccount"}},
        "serverTime": ISO}, ["cash", "flex", "4567.7117591172", "126312.8825"]),
    "futures:account-log": ({"accountId": UUID3, "logs": [
        {"asset": "usd", "contract": "PF_XBTUSD", "booking_uid": "be3d0e19-887a-4a8e-b8f6-32b9ef7f04ab", "date": ISO, "fee": D("1.2015"), "id": 10412,
         "info": "futures trade", "margin_account": "flex", "new_balance": D("125000.5"), "old_balance": D("125250.75"), "realized_pnl": D("-250.25"),
         "trade_price": D("60079.1"), "funding_rate": None},
        {"asset": "eth", "contract": None, "booking_uid": "0b5c2f1a-51d6-4bd3-ad1a-6d1a2f2a3c33", "date": ISO, "fee": None, "id": 10, "info": "admin transfer",
         "new_balance": D("2.6868286287"), "old_balance": D("0.0"), "realized_pnl": None}]}, ["-250.25", "125000.5", "2.6868286287", T_TEXT]),
    "futures:notifications": ({"result": "success", "notifications": [
        {"type": "maintenance", "priority": "medium", "note": "Scheduled maintenance of the Kraken Futures trading engine between 08:00 and 08:30 UTC.",
         "effectiveTime": ISO}], "serverTime": ISO}, ["maintenance", "medium"]),
    "futures:subaccounts": ({"masterAccountUid": UUID3, "subaccounts": [
        {"accountUid": "6f5d1e5a-9c1b-4c2a-9a55-3d1e1f6b7a10", "email": "bot-hedge-02@example.com", "fullName": "Hedge bot two", "holdingAccounts": [],
         "futuresAccounts": []}]}, ["bot-hedge-02@example.com"]),
    "futures:ticker": ({"result": "success", "ticker": {"symbol": "PF_XBTUSD", "last": D("60079.1"), "lastTime": ISO, "tag": "perpetual", "pair": "XBT:USD",
                                                        "markPrice": D("60081.35"), "bid": D("60079.0"), "bidSize": D("1.2516"), "ask": D("60079.5"),
                                                        "askSize": D("0.5"), "vol24h": D("125000.1234"), "openInterest": D("31.4159"),
                                                        "indexPrice": D("60080.02"), "fundingRate": D("-0.0000125"), "suspended": False},
                        "serverTime": ISO}, ["PF_XBTUSD", "60079.1", "60081.35", "125000.1234"]),
    "futures:instrument-status": ({"result": "success", "instrumentStatus": [
        {"tradeable": "PF_XBTUSD", "experiencingDislocation": False, "priceDislocationDirection": None,
         "experiencingExtremeVolatility": True, "extremeVolatilityInitialMarginMultiplier": D("1.5")},
        {"tradeable": "FI_ETHUSD_261225", "experiencingDislocation": True, "priceDislocationDirection": "ABOVE_UPPER_BOUND",
         "experiencingExtremeVolatility": False, "extremeVolatilityInitialMarginMultiplier": D("1")}], "serverTime": ISO},
        ["PF_XBTUSD", "FI_ETHUSD_261225", "ABOVE_UPPER_BOUND"]),
    "futures:transfers": ({"result": "success", "transfers": [
        {"id": UUID1, "date": ISO, "from": "flex", "to": "spot", "asset": "USD", "amount": D("125000.5"), "status": "complete", "info": "wallet transfer"},
        {"id": UUID2, "date": ISO, "from": "flex", "to": "subaccount", "asset": "XBT", "amount": D("0.0077"), "status": "complete", "info": "subaccount transfer"}],
        "serverTime": ISO}, ["125000.5", "0.0077", "subaccount", T_TEXT]),
    "futures:unwind-queue": ({"result": "success", "queue": [{"symbol": "PF_XBTUSD", "percentile": D("100")},
                                                            {"symbol": "FI_ETHUSD_261225", "percentile": D("20")}], "serverTime": ISO},
                             ["PF_XBTUSD", "FI_ETHUSD_261225", "100", "20"]),
    "futures:assignment-programs": ({"result": "success", "participants": [
        {"id": 17, "contractType": "flexible_futures", "contract": "PF_XBTUSD", "maxSize": D("12.5"), "maxPosition": D("125.0"),
         "acceptLong": True, "acceptShort": False, "timeFrame": "all", "enabled": True}], "serverTime": ISO},
        ["PF_XBTUSD", "12.5", "125"]),
    "futures:trading-enabled": ({"result": "success", "tradingEnabled": False, "serverTime": ISO}, ["no", T_TEXT]),
    "futures:leverage": ({"result": "success", "leveragePreferences": [{"symbol": "PF_XBTUSD", "maxLeverage": D("5.0")}]}, ["PF_XBTUSD"]),
    "futures:pnl": ({"result": "success", "preferences": [{"symbol": "PF_XBTUSD", "pnlCurrency": "BTC"}]}, ["PF_XBTUSD", "BTC"]),
    "futures:history": ({"accountUid": UUID3, "continuationToken": "simb178", "len": 1, "elements": [
        {"event": {"OrderPlaced": {"order": {"accountUid": UUID3, "direction": "Sell", "filled": "12.011", "lastUpdateTimestamp": T * 1000,
                                             "limitPrice": "60079.1", "orderType": "lmt", "quantity": "13.12", "reduceOnly": False, "timestamp": T * 1000,
                                             "tradeable": "PF_XBTUSD", "uid": UUID1}, "reason": "new_user_order", "reducedQuantity": ""}},
         "timestamp": T * 1000, "uid": UUID2}]}, ["OrderPlaced", "PF_XBTUSD", "60079.1", T_TEXT]),
    "futures:batch": ({"result": "success", "batchStatus": [
        {"status": "insufficientAvailableFunds", "order_tag": "1", "orderEvents": []},
        {"status": "placed", "order_tag": "2", "order_id": UUID1, "dateTimeReceived": ISO, "orderEvents": []},
        {"status": "notFound", "cliOrdId": "kops-hedge-7", "orderEvents": []}]}, ["insufficientAvailableFunds", UUID1]),
    "futures:result": ({"result": "success", "sendStatus": {"order_id": UUID1, "status": "placed", "receivedTime": ISO}, "serverTime": ISO}, [UUID1]),
    # --- profiles, the local exchange, WebSocket trading ---
    "profile:list": ([
        {"name": "bot-hedge-02", "default": True, "environment": "production", "url": "https://api.kraken.com", "spot_key": "8vQz…Kf3a",
         "futures_key": None, "shared": "", "read_only": False, "confirm": True, "tier": "pro", "nonce_window": 0, "description": "hedges the grid bot"},
        {"name": "paper", "default": False, "environment": "paper", "url": "http://127.0.0.1:8787", "spot_key": "Xk2P…9dQe",
         "futures_key": "Mz4r…a8B1", "shared": "spot", "read_only": True, "confirm": False, "tier": "starter", "nonce_window": 5, "description": None}],
        ["bot-hedge-02", "production", "paper"]),
    "profile:test": ([{"market": "spot", "permission": "query funds", "result": "ok", "detail": ""},
                      {"market": "futures", "permission": "open orders", "result": "denied", "detail": "EGeneral:Permission denied"}], ["denied"]),
    "exchange:account": ([{"name": "bot-hedge-02", "spot_key": "Zm9vYmFyYmF6cXV4cXV1eA==", "tier": "pro", "permissions": ["query_funds", "trade"],
                           "balances": {"XXBT": "1.25000000", "ZUSD": "241983.1415"}}], ["bot-hedge-02", "241983.1415"]),
    "ws:VIEW": ({"order_id": "OQCLML-BW3P3-BUCMWZ", "cl_ord_id": "kops-grid-0001", "order_userref": 0, "warnings": ["limit price near market"]},
                ["OQCLML-BW3P3-BUCMWZ", "kops-grid-0001"]),
}
