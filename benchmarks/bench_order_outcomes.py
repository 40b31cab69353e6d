"""Every order placed exactly once, its outcome known: orders through the CLI and the SDK while answers get lost.

    python benchmarks/bench_order_outcomes.py [--orders 200] [--loss 0.3] [--clients cli,sdk,control] [--json]

The local exchange is started (``kraken-ops exchange serve``, background, free port,
temporary state) with ``--fault lost-response=0.3``: three requests in ten -- orders and
the lookups that follow them alike -- are handled and committed, then the connection
is dropped before the answer. Each client places ``--orders`` market orders (they fill
at once, so a lookup has to find them among the closed orders), one at a time, each
with a volume of its own (so every order on the exchange is traced to the order
meant), and behaves like a careful script:

* a result with a txid is taken as "placed";
* a retryable failure (``retryable: true`` / a ``KrakenNetworkError``, which includes
  "not placed") is retried after a short pause -- the script trusts the tool's word
  that sending again is safe;
* an unknown outcome (exit 14 / ``KrakenOutcomeUnknownError``) is counted and not retried;
* Kraken's trading rate limit (``EOrder:Rate limit exceeded``: the order was refused)
  means a pause of a second and another try.

Clients:

* ``cli``: ``kraken-ops orders create ... --yes -o json`` (a paper profile, tier pro);
* ``sdk``: ``Trade.create_order`` of one client (``kraken_ops.spot``);
* ``control``: what a lost answer invited before: a plain AddOrder (the raw request,
  no client order id, no lookup) whose failure the script takes as retryable -- the
  duplicates it makes show that the fault bites.

Counted per client, against what is really on the exchange afterwards:

* **duplicates**: orders on the exchange beyond one per order meant;
* **wrong reports**: the tool said placed and the exchange has no such order (or another
  txid), or said not placed and the exchange has it;
* **unknown**: outcomes reported as unknown.

The goal is 0, 0, 0 for ``cli`` and ``sdk``. Timing is printed, not judged.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

PAIR = "XBTUSD"
BASE_VOLUME = Decimal("0.00100000")
LOT = Decimal("0.00000001")
RETRIES = 5  # attempts per order for a retryable failure


def volume_of(client: int, index: int) -> str:
    """A volume that names one order: a block of 10000 lots per client, then the order's index."""
    return str(BASE_VOLUME + (client * 10000 + index) * LOT)


def _account(state_dir: Path, name: str) -> Any:
    from kraken_ops.exchange.state import State

    db = State(state_dir)
    try:
        acct = db.add_account(name, tier="pro", nonce_window=0)
        db.deposit(name, "ZUSD", Decimal("10000000"))
        return acct
    finally:
        db.close()


def _orders_on_exchange(state_dir: Path, account: str) -> list[dict[str, Any]]:
    from kraken_ops.exchange.state import State

    db = State(state_dir)
    try:
        return [json.loads(r["data"]) | {"txid": r["txid"]} for r in db.query("SELECT txid, data FROM orders WHERE account=?", (account,))]
    finally:
        db.close()


# --- the clients -------------------------------------------------------------------------------------------
Outcome = tuple[str, str | None]  # ("placed", txid) | ("not_placed", None) | ("unknown", None)


def cli_client(url: str, acct: Any, work: Path) -> Callable[[str], tuple[Outcome, int]]:
    (work / "secret").write_text(acct.spot_secret)
    config = work / "config.toml"
    config.write_text(
        f'[profiles.bench]\nenvironment = "paper"\nurl = "{url}"\nspot_key = "{acct.spot_key}"\n'
        f'tier = "pro"\nsecret_command = ["cat", "{work / "secret"}"]\n'
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("KRAKEN_OPS_")}
    env.update(KRAKEN_OPS_CONFIG=str(config), KRAKEN_OPS_STATE_DIR=str(work / "state"), PYTHONPATH=str(REPO))

    def place(volume: str) -> tuple[Outcome, int]:
        argv = [sys.executable, "-m", "kraken_ops.cli", "orders", "create", "--pair", PAIR, "--side", "buy", "--type", "market",
                "--volume", volume, "-p", "bench", "--yes", "-o", "json"]
        attempt = 0
        while attempt < RETRIES:
            run = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300)
            out = json.loads(run.stdout) if run.stdout.strip() else {}
            if run.returncode == 0:
                return ("placed", out["txid"][0]), attempt
            if out.get("outcome") == "unknown":
                return ("unknown", None), attempt
            if out.get("error") == "rate_limit":
                time.sleep(1.0)
                continue
            if not out.get("retryable"):
                raise SystemExit(f"cli: unexpected failure (exit {run.returncode}): {run.stderr.strip()[-500:]}")
            attempt += 1
            time.sleep(0.05)
        return ("not_placed", None), RETRIES

    return place


def sdk_client(url: str, acct: Any, work: Path) -> Callable[[str], tuple[Outcome, int]]:
    from kraken_ops import exceptions as kx
    from kraken_ops.spot import Trade

    trade = Trade(key=acct.spot_key, secret=acct.spot_secret, url=url, tier="pro")

    def place(volume: str) -> tuple[Outcome, int]:
        attempt = 0
        while attempt < RETRIES:
            try:
                result = trade.create_order(ordertype="market", side="buy", pair=PAIR, volume=volume)
                return ("placed", result["txid"][0]), attempt
            except kx.KrakenNetworkError:  # includes KrakenOrderNotPlacedError: sending again is safe
                attempt += 1
                time.sleep(0.05)
            except kx.KrakenOutcomeUnknownError:
                return ("unknown", None), attempt
            except kx.KrakenRateLimitExceededError:  # refused by the matching engine's limit: nothing placed
                time.sleep(1.0)
        return ("not_placed", None), RETRIES

    return place


def control_client(url: str, acct: Any, work: Path) -> Callable[[str], tuple[Outcome, int]]:
    from kraken_ops import exceptions as kx
    from kraken_ops.spot.base import SpotClient

    client = SpotClient(key=acct.spot_key, secret=acct.spot_secret, url=url, tier="pro")
    order = {"ordertype": "market", "type": "buy", "pair": PAIR}

    def place(volume: str) -> tuple[Outcome, int]:
        attempt = 0
        while attempt < RETRIES:
            try:
                result = client.request("POST", "/0/private/AddOrder", {**order, "volume": volume})
                return ("placed", result["txid"][0]), attempt
            except (kx.KrakenNetworkError, kx.KrakenOutcomeUnknownError):  # a lost answer, taken as retryable
                attempt += 1
                time.sleep(0.05)
            except kx.KrakenRateLimitExceededError:
                time.sleep(1.0)
        return ("not_placed", None), RETRIES

    return place


def run_client(label: str, place: Callable[[str], tuple[Outcome, int]], number: int, orders: int, state_dir: Path, account: str) -> dict[str, Any]:
    started = time.monotonic()
    reports: dict[str, Outcome] = {}
    retries = 0
    for i in range(orders):
        volume = volume_of(number, i)
        reports[volume], tried = place(volume)
        retries += tried
        if (i + 1) % 50 == 0:
            print(f"  {label}: {i + 1}/{orders}", file=sys.stderr, flush=True)
    seconds = time.monotonic() - started
    on_exchange: dict[str, list[str]] = {}
    for order in _orders_on_exchange(state_dir, account):
        on_exchange.setdefault(str(Decimal(order["volume"]).normalize()), []).append(order["txid"])
    duplicates = wrong = unknown = placed = not_placed = 0
    for volume, (outcome, txid) in reports.items():
        there = on_exchange.get(str(Decimal(volume).normalize()), [])
        duplicates += max(0, len(there) - 1)
        if outcome == "placed":
            placed += 1
            wrong += txid not in there
        elif outcome == "not_placed":
            not_placed += 1
            wrong += bool(there)
        else:
            unknown += 1
    result = {"client": label, "orders": orders, "duplicates": duplicates, "wrong_reports": wrong, "unknown": unknown,
            "placed": placed, "not_placed": not_placed, "retries": retries, "seconds": round(seconds, 1)}
    print(f"  {label}: {json.dumps(result)}", file=sys.stderr, flush=True)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=200, help="orders per client")
    parser.add_argument("--loss", type=float, default=0.3, help="exchange --fault lost-response=RATE")
    parser.add_argument("--clients", default="cli,sdk,control", help="cli, sdk, control (comma-separated)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)
    clients = [c.strip() for c in args.clients.split(",") if c.strip()]
    if not clients or any(c not in ("cli", "sdk", "control") for c in clients):
        parser.error("--clients takes cli, sdk and/or control")
    logging.getLogger("kraken_ops.notice").setLevel(logging.ERROR)  # the SDK's "answer recovered" notices: counted, not shown

    from kraken_ops.profiles.paper import start_exchange, stop_exchange

    results = []
    with tempfile.TemporaryDirectory(prefix="bench-outcomes-") as tmp:
        work = Path(tmp)
        server = start_exchange("http://127.0.0.1:0", work / "exchange", extra_args=["--fault", f"lost-response={args.loss}"])
        try:
            print(f"exchange {server.url} (lost-response={args.loss}); {args.orders} orders per client", file=sys.stderr)
            for number, label in enumerate(clients):
                acct = _account(server.state_dir, f"bench-{label}")
                side = work / label
                side.mkdir()
                place = {"cli": cli_client, "sdk": sdk_client, "control": control_client}[label](server.url, acct, side)
                results.append(run_client(label, place, number, args.orders, server.state_dir, acct.name))
        finally:
            stop_exchange(server.pid or 0)
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    header = f"{'client':<8} {'orders':>6} {'duplicates':>10} {'wrong reports':>13} {'unknown':>7} {'placed':>6} {'not placed':>10} {'retries':>7} {'seconds':>7}"
    print(header)
    print("-" * len(header))
    for r in results:
        print(f"{r['client']:<8} {r['orders']:>6} {r['duplicates']:>10} {r['wrong_reports']:>13} {r['unknown']:>7} {r['placed']:>6} {r['not_placed']:>10} {r['retries']:>7} {r['seconds']:>7}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
