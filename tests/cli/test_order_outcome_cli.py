"""``kraken-ops orders create`` after a lost answer: the truth, or an honest "unknown" (issue 10, item 11)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

LOSE = 0.0


class Script:
    """Stands in for the exchange's fault random source: LOSE for the first answers listed."""

    def __init__(self, *values: float) -> None:
        self.values = list(values)

    def random(self) -> float:
        return self.values.pop(0) if self.values else 1.0

    def uniform(self, low: float, high: float) -> float:
        return low


@pytest.fixture
def lossy(exchange_factory: Any) -> Any:
    server = exchange_factory(faults=["lost-response=0.5"])
    server.ctx.fault_rng = Script()
    return server


@pytest.fixture
def bot(cli: Any, lossy: Any) -> Any:
    account = lossy.add_account("clibot", fund={"ZUSD": "10000"})
    cli.add_profile("bot", account, url=lossy.url)
    return account


CREATE = ("orders", "create", "--pair", "XBTUSD", "--side", "buy", "--type", "limit", "--volume", "0.01", "--price", "1000", "-p", "bot", "--yes", "-o", "json")


def test_a_lost_answer_to_a_placed_order_prints_the_order_and_says_what_happened(cli: Any, lossy: Any, bot: Any) -> None:
    lossy.ctx.fault_rng = Script(LOSE)
    result = cli(*CREATE)
    assert result.exit_code == 0, result.stderr
    (txid,) = json.loads(result.stdout)["txid"]
    assert "the answer to AddOrder was lost" in result.stderr and f"order {txid}" in result.stderr
    assert len(lossy.db.query("SELECT 1 FROM orders WHERE account=?", (bot.name,))) == 1


def test_an_unknown_outcome_exits_14_with_the_client_order_id_and_the_command_that_checks(cli: Any, lossy: Any, bot: Any) -> None:
    lossy.ctx.fault_rng = Script(*[LOSE] * 50)
    result = cli(*CREATE)
    assert result.exit_code == 14
    envelope = json.loads(result.stdout)
    assert (envelope["error"], envelope["outcome"], envelope["retryable"]) == ("outcome", "unknown", False)
    assert re.fullmatch(r"[0-9a-f-]{36}", envelope["cl_ord_id"])
    assert envelope["check"] == f"kraken-ops orders show --cl-ord-id {envelope['cl_ord_id']} --profile bot"
    assert "hint: check with: kraken-ops orders show --cl-ord-id" in result.stderr
    # the command it names finds the order, which exists exactly once
    lossy.ctx.fault_rng = Script()
    found = cli("orders", "show", "--cl-ord-id", envelope["cl_ord_id"], "-p", "bot", "-o", "json")
    assert found.exit_code == 0 and len(json.loads(found.stdout)) == 1


def test_an_order_that_was_not_placed_is_a_retryable_network_error_saying_so(cli: Any, lossy: Any, bot: Any) -> None:
    lossy.ctx.faults["lost_response"] = None
    lossy.ctx.faults["http_502"] = 1.0
    lossy.ctx.fault_rng = Script(LOSE)
    result = cli(*CREATE)
    envelope = json.loads(result.stdout)
    assert result.exit_code == 4 and envelope["outcome"] == "not_placed" and envelope["retryable"] is True
    assert "was not placed" in envelope["message"]


def test_orders_show_needs_order_ids_or_a_client_order_id(cli: Any, bot: Any) -> None:
    assert cli("orders", "show", "-p", "bot").exit_code == 2
    assert cli("orders", "show", "OABC", "--cl-ord-id", "x", "-p", "bot").exit_code == 2
    nothing = cli("orders", "show", "--cl-ord-id", "no-such-order", "-p", "bot", "-o", "json")
    assert nothing.exit_code == 0 and json.loads(nothing.stdout) == {}
