"""Every Python example of docs/sdk-futures.md runs against a paper profile (issue 11, item 5).

The examples are taken from the page as they are written; the only changes are the ones a
reader makes: ``key="api-key", secret="api-secret"`` (and the keyless public clients) become
the paper profile ``bot1`` the page names, and a snippet with a top-level ``await`` runs in
an event loop. The paper profile has the default funding (nothing extra), except what the
page says the subaccount transfer needs.
"""

from __future__ import annotations

import asyncio
import re
import textwrap
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterator

import pytest

from kraken_ops.profiles.paper import add_paper_profile, read_server_json, stop_exchange

DOC = Path(__file__).resolve().parents[2] / "docs" / "sdk-futures.md"
FREE = "http://127.0.0.1:0"


def examples() -> list[str]:
    return re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)


def as_paper(code: str) -> str:
    code = re.sub(r'(\w+)\(key="api-key", secret="api-secret"\)', r'\1.from_profile("bot1")', code)
    code = re.sub(r"\b(Market|Funding|AsyncMarket|FuturesAsyncClient)\(\)", r'\1.from_profile("bot1", public=True)', code)
    if re.search(r"^(async with|await) ", code, flags=re.M):
        code = "async def _example():\n" + textwrap.indent(code, "    ") + "\nasyncio.run(_example())\n"
    return code


@pytest.fixture
def paper(tmp_path: Path) -> Iterator[Any]:
    state = tmp_path / "exchange"
    result = add_paper_profile("bot1", url=FREE, state_dir=state)
    try:
        yield result
    finally:
        info = read_server_json(state)
        if info and isinstance(info.get("pid"), int):
            stop_exchange(info["pid"])


def _subaccounts_for_the_transfer_example(paper: Any) -> None:
    """What the page says the subaccount transfer needs: two subaccounts, the first with XBT."""
    from kraken_ops.exchange.futures.funding import credit_futures
    from kraken_ops.exchange.state import State
    from kraken_ops.spot import User

    spot = User.from_profile("bot1")
    for sub in ("Subaccount1", "Subaccount2"):
        assert spot.create_subaccount(username=sub, email=f"{sub.lower()}@example.com") is True
    db = State(paper.exchange.state_dir)
    try:
        credit_futures(db, "Subaccount1", "cash", "XBT", Decimal("2"))
    finally:
        db.close()


def test_the_default_paper_profile_has_futures_collateral(paper: Any) -> None:
    from kraken_ops.futures import User

    wallets = User.from_profile("bot1").get_wallets()["accounts"]
    assert wallets["flex"]["currencies"]["USD"]["quantity"] == Decimal("10000")
    assert wallets["fi_xbtusd"]["balances"]["xbt"] == Decimal("0.5")
    assert wallets["fi_ethusd"]["balances"]["eth"] == Decimal("1")
    assert paper.futures_funds == [("flex", "USD", "10000"), ("fi_xbtusd", "XBT", "0.5"), ("fi_ethusd", "ETH", "1")]


def test_every_example_of_the_futures_page_runs(paper: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # the CSV example writes account_log.csv
    _subaccounts_for_the_transfer_example(paper)
    blocks = examples()
    assert len(blocks) >= 10
    namespace: dict[str, Any] = {"asyncio": asyncio}
    for i, block in enumerate(blocks):
        code = as_paper(block)
        try:
            exec(compile(code, f"{DOC.name}#example{i + 1}", "exec"), namespace)  # noqa: S102 - the docs' own code
        except Exception as exc:  # pragma: no cover - the failure message names the example
            raise AssertionError(f"example {i + 1} of {DOC.name} failed: {exc!r}\n{code}") from exc
    assert Path("account_log.csv").read_text().startswith("uid,dateTime,account,type")
