"""Spot Earn on the wire: every method, sync and async, signed form POSTs under /0/private/Earn/."""

from __future__ import annotations

import pytest
from wirecheck import Row, assert_rows_cover, check_row

from kraken_ops.spot import Earn

P = "/0/private/Earn/"
SID = "ESRFUO3-Q62XD-WIOIL7"

ROWS = [
    Row("allocate_earn_funds", {"amount": "2000", "strategy_id": SID}, "POST", P + "Allocate", {"amount": "2000", "strategy_id": SID}, result=True),
    Row("allocate_earn_funds", {"amount": 2000, "strategy_id": SID}, "POST", P + "Allocate", {"amount": "2000", "strategy_id": SID}, result=True),
    Row("deallocate_earn_funds", {"amount": "0.5", "strategy_id": SID}, "POST", P + "Deallocate", {"amount": "0.5", "strategy_id": SID}, result=True),
    Row("get_allocation_status", {"strategy_id": SID}, "POST", P + "AllocateStatus", {"strategy_id": SID}, result={"pending": False}),
    Row("get_deallocation_status", {"strategy_id": SID}, "POST", P + "DeallocateStatus", {"strategy_id": SID}, result={"pending": True}),
    Row("list_earn_strategies", {}, "POST", P + "Strategies", {}, result={"next_cursor": None, "items": []}),
    Row(
        "list_earn_strategies",
        {"asset": "DOT", "limit": 10, "lock_type": ["flex", "bonded"], "cursor": "2", "ascending": True},
        "POST",
        P + "Strategies",
        {"asset": "DOT", "limit": "10", "lock_type": "flex,bonded", "cursor": "2", "ascending": "true"},
    ),
    Row("list_earn_allocations", {}, "POST", P + "Allocations", {}),
    Row(
        "list_earn_allocations",
        {"ascending": True, "hide_zero_allocations": True, "converted_asset": "USD"},
        "POST",
        P + "Allocations",
        {"ascending": "true", "hide_zero_allocations": "true", "converted_asset": "USD"},
    ),
]


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_earn_request_on_the_wire(invoke, server, row: Row) -> None:
    result = check_row(invoke, server, "Earn", row)
    assert result == row.result


def test_every_earn_method_has_a_wire_row() -> None:
    assert_rows_cover(Earn, ROWS)
