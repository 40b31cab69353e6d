"""Wire tests for kraken_ops.futures User / AsyncUser against a verifying loopback server."""

from __future__ import annotations

import asyncio

import pytest
from futures_recorder import FLAVOURS, Case, endpoint_methods, futures_wire, invoke, make_client, run_case, server  # noqa: F401

from kraken_ops.futures.user import AsyncUser, User, _UserEndpoints

CLASSES = {"sync": User, "async": AsyncUser}
SUB = "778387bh61b-f990-4128-16a7-f4ab669a9b"
PAGING = {"before": 1668999999000, "continuation_token": "c3RyaW5n", "since": 1668989233000, "sort": "asc", "tradeable": "PF_SOLUSD", "count": 50}
PAGING_WIRE = [
    ("before", "1668999999000"),
    ("continuation_token", "c3RyaW5n"),
    ("since", "1668989233000"),
    ("sort", "asc"),
    ("tradeable", "PF_SOLUSD"),
    ("count", "50"),
]

CASES = [
    Case("get_wallets", {}, "GET", "/derivatives/api/v3/accounts", auth=True),
    Case("get_subaccounts", {}, "GET", "/derivatives/api/v3/subaccounts", auth=True),
    Case("get_unwind_queue", {}, "GET", "/derivatives/api/v3/unwindqueue", auth=True),
    Case("get_assignment_programs", {}, "GET", "/derivatives/api/v3/assignmentprogram/current", auth=True),
    Case("get_notifications", {}, "GET", "/derivatives/api/v3/notifications", auth=True),
    Case("get_open_positions", {}, "GET", "/derivatives/api/v3/openpositions", auth=True),
    Case("get_open_orders", {}, "GET", "/derivatives/api/v3/openorders", auth=True),
    Case("get_open_orders", {"extra_params": {"symbol": "PF_XBTUSD"}}, "GET", "/derivatives/api/v3/openorders", query=[("symbol", "PF_XBTUSD")], auth=True, name="get_open_orders-extra_params"),
    Case("check_trading_enabled_on_subaccount", {"subaccountId": SUB}, "GET", f"/derivatives/api/v3/subaccount/{SUB}/trading-enabled", auth=True),
    Case(
        "set_trading_on_subaccount",
        {"subaccountId": SUB, "trading_enabled": True},
        "PUT",
        f"/derivatives/api/v3/subaccount/{SUB}/trading-enabled",
        query=[("tradingEnabled", "true")],
        auth=True,
    ),
    Case(
        "set_trading_on_subaccount",
        {"subaccountId": SUB, "trading_enabled": False},
        "PUT",
        f"/derivatives/api/v3/subaccount/{SUB}/trading-enabled",
        query=[("tradingEnabled", "false")],
        auth=True,
        name="set_trading_on_subaccount-off",
    ),
    Case(
        "get_account_log",
        {"before": "2023-04-04T16:10:46.260Z", "count": 1, "from_": 5, "info": "admin transfer", "since": "2023-04-01T00:00:00.000Z", "sort": "asc", "to": 10},
        "GET",
        "/api/history/v2/account-log",
        query=[
            ("before", "2023-04-04T16:10:46.260Z"),
            ("count", "1"),
            ("from", "5"),
            ("info", "admin transfer"),
            ("since", "2023-04-01T00:00:00.000Z"),
            ("sort", "asc"),
            ("to", "10"),
        ],
        auth=True,
    ),
    Case("get_account_log", {}, "GET", "/api/history/v2/account-log", auth=True, name="get_account_log-bare"),
    Case("get_account_log_csv", {}, "GET", "/api/history/v2/accountlogcsv", auth=True),
    Case("get_execution_events", PAGING, "GET", "/api/history/v2/executions", query=PAGING_WIRE, auth=True),
    Case("get_order_events", PAGING, "GET", "/api/history/v2/orders", query=PAGING_WIRE, auth=True),
    Case("get_trigger_events", PAGING, "GET", "/api/history/v2/triggers", query=PAGING_WIRE, auth=True),
    Case("get_trigger_events", {}, "GET", "/api/history/v2/triggers", auth=True, name="get_trigger_events-bare"),
]


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_user_endpoint_sends_what_kraken_expects(flavour, case, server):
    run_case(CLASSES, flavour, server, case)


def test_every_user_endpoint_has_a_wire_case():
    assert endpoint_methods(_UserEndpoints) == {c.method for c in CASES}


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_private_history_positional_arguments_follow_the_reference_order(flavour, server):
    invoke(CLASSES[flavour], server, "get_execution_events", 2, "tok", 1, "desc", "PF_SOLUSD")
    assert server.last.query_params == {"before": "2", "continuation_token": "tok", "since": "1", "sort": "desc", "tradeable": "PF_SOLUSD"}
    assert server.last.signature_ok is True


CSV = b"date,type,symbol,contract,change,new balance\n" + b"2023-04-04T16:10:46.260Z,transfer,eth,,2.6868286287,2.6868286287\n" * 2000


def test_account_log_csv_streams_with_requests(server):
    server.respond(CSV, content_type="text/csv", path="/api/history/v2/accountlogcsv")
    with make_client(User, server) as user:
        response = user.get_account_log_csv()
        assert not response._content_consumed  # handed back unread: the caller streams it
        data = b"".join(response.iter_content(chunk_size=4096))
    assert data == CSV
    assert server.last.signature_ok is True


def test_account_log_csv_streams_with_aiohttp(server):
    server.respond(CSV, content_type="text/csv", path="/api/history/v2/accountlogcsv")

    async def run() -> bytes:
        async with make_client(AsyncUser, server) as user:
            response = await user.get_account_log_csv()
            chunks = [chunk async for chunk in response.content.iter_chunked(4096)]
            response.release()
            return b"".join(chunks)

    assert asyncio.run(run()) == CSV
    assert server.last.signature_ok is True


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_account_log_csv_error_envelope_still_raises(flavour, server):
    from kraken_ops.exceptions import KrakenAuthenticationError

    server.respond({"result": "error", "error": "authenticationError"}, path="/api/history/v2/accountlogcsv")
    with pytest.raises(KrakenAuthenticationError):
        invoke(CLASSES[flavour], server, "get_account_log_csv")


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_a_wrong_secret_is_caught_by_the_independent_verifier(flavour, server):
    """The verifier is not a rubber stamp: a client signing with another secret is refused."""
    import base64

    from kraken_ops.exceptions import KrakenAuthenticationError

    client = make_client(CLASSES[flavour], server, secret=base64.b64encode(b"another secret entirely").decode())
    with pytest.raises(KrakenAuthenticationError):
        if flavour == "sync":
            client.get_wallets()
        else:

            async def run() -> None:
                async with client:
                    await client.get_wallets()

            asyncio.run(run())
    assert server.last.signature_ok is False
