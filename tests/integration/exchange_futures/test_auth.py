"""Authent, nonce, permission and rate-limit enforcement (kraken-protocol.md §3.2, §3.5, §6.4-6.6)."""

from __future__ import annotations

import base64

from kraken_ops.exchange.futures.auth import authent, sign_challenge, verify_authent

P = "/derivatives/api/v3"
SDK_SECRET = base64.b64encode(b"python-kraken-sdk unit-test secret value").decode()
DOC_SECRET = "7zxMEF5p/Z8l2p2U7Ghv6x14Af+Fx+92tPgUdVQ748FOIrEoT9bgT+bTRfXc5pz8na+hL/QdrCVG7bh9KpT0eMTm"


def test_authent_matches_sdk_golden_vector_6_4():
    expected = "Txi+gJVXe3EN1brXYQ46FuV6UVtEVSKhc6dYMhPb7a/HXZLGvO6m9UUg+KVKqhLxrbllOPI7qRkHYmPfJZZSGA=="
    assert authent(SDK_SECRET, "orderType=lmt&symbol=PI_XBTUSD", "1616492376594", "/api/v3/sendorder") == expected
    for path in ("/derivatives/api/v3/sendorder", "/api/v3/sendorder"):
        assert verify_authent(SDK_SECRET, expected, "", "orderType=lmt&symbol=PI_XBTUSD", "1616492376594", path)


def test_signed_challenge_matches_official_vector_6_5():
    assert sign_challenge(DOC_SECRET, "c100b894-1729-464d-ace1-52dbce11db42") == (
        "4JEpF3ix66GA2B+ooK128Ift4XQVtc137N9yeg4Kqsn9PI0Kpzbysl9M1IeCEdjg0zl00wkVqcsnG4bmnlMb3A==")


def test_authent_matches_derived_vector_6_6():
    assert authent(DOC_SECRET, "symbol=fi_xbtusd_180615", "1415957147987", "/api/v3/orderbook") == (
        "JHLjN8OUDYaXjHRGT0z4nUvJorORrXoL9omot4BK5ihtp6jKHPHfzX9MrpVjqAgKqGJejoO3gySwoVCMJQlx/Q==")


def test_verify_accepts_decoded_post_data_and_rejects_garbage():
    raw = "cliOrdId=a%20b&symbol=PF_XBTUSD"
    good = authent(SDK_SECRET, "cliOrdId=a b&symbol=PF_XBTUSD", "1", "/api/v3/sendorder")
    assert verify_authent(SDK_SECRET, good, "", raw, "1", "/derivatives/api/v3/sendorder")
    assert not verify_authent(SDK_SECRET, "bm90IGEgc2ln", "", raw, "1", "/api/v3/sendorder")
    assert not verify_authent(SDK_SECRET, "", "", raw, "1", "/api/v3/sendorder")


async def test_unknown_key_is_authentication_error(fx):
    api = fx.add_account()
    api.key = "nope"
    r = await api.get(f"{P}/accounts")
    assert r["result"] == "error" and r["error"] == "authenticationError" and r["serverTime"].endswith("Z")


async def test_bad_authent_is_authentication_error(fx):
    api = fx.add_account()
    api.secret = base64.b64encode(b"x" * 64).decode()
    assert (await api.get(f"{P}/accounts"))["error"] == "authenticationError"


async def test_missing_nonce_header_signs_with_empty_nonce(fx):
    api = fx.add_account()
    r = await api.get(f"{P}/openorders", nonce=None)
    assert r["result"] == "success"


async def test_url_encoded_and_decoded_post_data_both_accepted(fx):
    api = fx.add_account(fund={"USD": 1000})
    params = {"orderType": "lmt", "symbol": "PF_XBTUSD", "side": "buy", "size": "0.001", "limitPrice": "1000",
              "cliOrdId": "with space/slash"}
    r1 = await api.post(f"{P}/sendorder", params)
    assert r1["sendStatus"]["status"] == "placed"
    from urllib.parse import unquote_plus, urlencode
    params["cliOrdId"] = "second one"
    body = urlencode(params)
    r2 = await api.post(f"{P}/sendorder", params, sign_data=unquote_plus(body))
    assert r2["sendStatus"]["status"] == "placed"


async def test_post_params_in_query_string_like_ccxt(fx):
    api = fx.add_account(fund={"USD": 1000})
    from urllib.parse import urlencode
    q = urlencode({"orderType": "lmt", "symbol": "PF_XBTUSD", "side": "buy", "size": "0.001", "limitPrice": "1000"})
    r = await api.post(f"{P}/sendorder", {}, query=q, body="")
    assert r["sendStatus"]["status"] == "placed"


async def test_nonce_below_threshold_and_duplicate(fx):
    api = fx.add_account()
    assert (await api.get(f"{P}/openorders", nonce="1000"))["result"] == "success"
    assert (await api.get(f"{P}/openorders", nonce="1000"))["error"] == "nonceDuplicate"
    assert (await api.get(f"{P}/openorders", nonce="999"))["error"] == "nonceBelowThreshold"
    assert (await api.get(f"{P}/openorders", nonce="1001"))["result"] == "success"


async def test_nonce_window_tolerates_slightly_lower_nonces(fx):
    api = fx.add_account(nonce_window=100)
    assert (await api.get(f"{P}/openorders", nonce="5000"))["result"] == "success"
    assert (await api.get(f"{P}/openorders", nonce="4950"))["result"] == "success"
    assert (await api.get(f"{P}/openorders", nonce="4950"))["error"] == "nonceDuplicate"
    assert (await api.get(f"{P}/openorders", nonce="4800"))["error"] == "nonceBelowThreshold"


async def test_permissions_are_enforced_per_endpoint(fx):
    ro = fx.add_account(permissions=["futures", "query_funds", "query_orders"])
    assert (await ro.get(f"{P}/accounts"))["result"] == "success"
    r = await ro.post(f"{P}/sendorder", {"orderType": "lmt", "symbol": "PF_XBTUSD", "side": "buy", "size": "1",
                                         "limitPrice": "1"})
    assert r["error"] == "authenticationError"
    assert (await ro.post(f"{P}/cancelallorders"))["error"] == "authenticationError"
    assert (await ro.post(f"{P}/withdrawal", {"currency": "USD", "amount": "1"}))["error"] == "authenticationError"
    assert (await ro.get("/api/history/v2/account-log"))["error"] == "authenticationError"
    spot_only = fx.add_account(permissions=["query_funds", "query_orders", "trade"])
    assert (await spot_only.get(f"{P}/accounts"))["error"] == "authenticationError"


async def test_cost_budget_500_units_per_10s_then_api_limit_exceeded(fx):
    api = fx.add_account()
    # cancelallordersafter costs 25: 20 calls exhaust the 500-unit budget
    for _ in range(20):
        r = await api.post(f"{P}/cancelallordersafter", {"timeout": "0"})
        assert r["result"] == "success", r
    r = await api.post(f"{P}/cancelallordersafter", {"timeout": "0"})
    assert r["error"] == "apiLimitExceeded"
    fx.ctx.clock.advance(10)
    assert (await api.post(f"{P}/cancelallordersafter", {"timeout": "0"}))["result"] == "success"
    other = fx.add_account()
    assert (await other.get(f"{P}/openorders"))["result"] == "success"  # budgets are per key


async def test_public_endpoints_need_no_key(fx):
    r = await fx.public().public(f"{P}/tickers")
    assert r["result"] == "success"
