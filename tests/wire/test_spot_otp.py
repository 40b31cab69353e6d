"""Keys with 2FA on the wire: ``otp`` in the signed body of private calls, per client or per call.

Sync and async alike: the client's ``otp=`` (a string or a callable such as ``TOTP``),
a method's ``otp=`` (which wins, and follows a multi-step method through its chain),
an ``otp`` in ``extra_params``; never on public calls; never for Futures clients.
"""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import pytest
from test_spot_trade import XBTUSD
from wirecheck import make_client

from kraken_ops.exceptions import KrakenConfigError
from kraken_ops.spot import TOTP

SEED = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # RFC 6238's SHA-1 seed


def call(kind: str, server: Any, group: str, method: str, /, *args: Any, client_otp: Any = None, **kwargs: Any) -> Any:
    options = {"otp": client_otp} if client_otp is not None else {}
    if kind == "sync":
        with make_client(group, "sync", server.url, **options) as client:
            return getattr(client, method)(*args, **kwargs)

    async def go() -> Any:
        async with make_client(group, "async", server.url, **options) as client:
            return await getattr(client, method)(*args, **kwargs)

    return asyncio.run(go())


def test_the_clients_otp_is_in_the_signed_body_of_every_private_call(server, client_kind):
    call(client_kind, server, "User", "get_account_balance", client_otp="static password")
    rec = server.last
    assert rec.signature_ok and rec.nonce_ok
    assert rec.params() == {"otp": "static password"}
    assert [k for k, _ in rec.form_pairs][-2:] == ["otp", "nonce"]


def test_a_callable_otp_is_asked_for_each_request(server, client_kind):
    codes = itertools.count(100001)
    call(client_kind, server, "Trade", "find_order", cl_ord_id="c-1", client_otp=lambda: str(next(codes)))
    assert [r.params()["otp"] for r in server.requests] == ["100001", "100002"]  # OpenOrders, then ClosedOrders


def test_a_totp_object_sends_the_current_code(server, client_kind):
    call(client_kind, server, "User", "get_open_orders", client_otp=TOTP(SEED, clock=lambda: 59))
    assert server.last.params()["otp"] == "287082"
    assert server.last.signature_ok


def test_a_methods_otp_wins_over_the_clients(server, client_kind):
    call(client_kind, server, "User", "get_trade_balance", "XBT", client_otp="client", otp="per-call")
    assert server.last.params() == {"asset": "XBT", "otp": "per-call"}
    assert server.last.signature_ok


def test_a_methods_otp_follows_the_chain_of_a_multi_step_method(server, client_kind):
    server.respond_result(XBTUSD, path="/0/public/AssetPairs")
    server.respond_result({"txid": ["OUF4EM-FRGI2-MQMWZD"]}, path="/0/private/AddOrder")
    call(client_kind, server, "Trade", "create_order", ordertype="limit", side="buy", pair="XBTUSD", volume="0.1", price="100.12",
         truncate=True, otp="654321")
    public, private = server.requests
    assert "otp" not in public.query_params and public.body == b""  # public calls never carry the otp
    assert private.params()["otp"] == "654321" and private.signature_ok


def test_without_any_otp_none_is_sent(server, client_kind):
    call(client_kind, server, "User", "get_account_balance")
    assert "otp" not in server.last.params()


def test_an_otp_in_extra_params_is_kept_unless_the_method_is_given_one(server, client_kind):
    call(client_kind, server, "User", "get_account_balance", client_otp="client", extra_params={"otp": "extra"})
    assert server.last.params()["otp"] == "extra"
    call(client_kind, server, "User", "get_account_balance", extra_params={"otp": "extra"}, otp="per-call")
    assert server.last.params()["otp"] == "per-call"


def test_the_request_escape_hatch_takes_otp_too(server, client_kind):
    call(client_kind, server, "User", "request", "POST", "/0/private/Balance", otp="raw")
    assert server.last.params() == {"otp": "raw"}
    call(client_kind, server, "User", "request", "GET", "/0/public/Time", auth=False, client_otp="never")
    assert "otp" not in server.last.query_params


def test_an_int_otp_is_refused_before_anything_is_sent(server):
    with pytest.raises(TypeError, match="leading zero|string"):
        make_client("User", "sync", server.url, otp=12345)
    with make_client("User", "sync", server.url) as client, pytest.raises(TypeError):
        client.get_account_balance(otp=12345)
    assert server.requests == []


def test_futures_clients_take_no_otp():
    from kraken_ops.futures import User as FuturesUser

    with pytest.raises(KrakenConfigError, match="Futures API keys have no two-factor"):
        FuturesUser(key="k", secret="c2VjcmV0", otp="123456")


def test_the_otp_is_never_in_the_clients_repr(server):
    with make_client("User", "sync", server.url, otp="hunter2") as client:
        assert "hunter2" not in repr(client) and "hunter2" not in str(client)
