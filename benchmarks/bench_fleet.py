"""Acting on (and reading) many accounts at once: panic and balances across profiles (issue 13).

    python benchmarks/bench_fleet.py [--accounts 20] [--orders 10] [--profiles 1,10,50] [--repeat 5] [--json]

The local exchange is started in its own process (``kraken-ops exchange serve``,
background, free port, temporary state). Funded accounts are created on it, each with a
paper profile (Spot and Futures keys, tier pro, secrets in a 0600 secrets file: no
keyring, no secret command). Every figure is the median of ``--repeat`` runs of the real
command as a user runs it: a ``kraken-ops`` process (``python -m kraken_ops.cli``),
start-up included.

* **panic**: a config of ``--accounts`` + 1 profiles; ``--orders`` open Spot limit orders
  on one account (placed before the run, not timed), ``kraken-ops orders cancel-all -p
  ONE --yes``; then ``--orders`` open orders on each of the other ``--accounts`` accounts
  and ``kraken-ops panic -p ... --yes`` on them (Spot CancelAll and Futures
  cancelallorders on every account). Goal: panic on 20 accounts at most 2x the one
  account's cancel-all. Every run checks that no order is left open. Each run has fresh
  accounts (a second round on one account would hit Kraken's per-account trading
  counter: cancelling orders younger than 5 s costs 8 points each).
* **balances**: ``kraken-ops balances -p ...`` on 1, 10 and 50 profiles (``--profiles``;
  disjoint accounts, one config holding all of them). Goals: 10 profiles at most 1.5x
  one, 50 at most 3x.

The in-process time of the work itself (the command's run function, imports warm) is
printed too, so that start-up and the work can be told apart.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

GOALS = {"panic": 2.0, "balances 10": 1.5, "balances 50": 3.0}


_serial = iter(range(10**6))


def make_accounts(server: Any, count: int, config: Path) -> list[str]:
    """``count`` fresh funded accounts on the exchange and a paper profile for each in ``config``.

    Every measurement gets accounts of its own (Kraken's per-account trading counter
    would refuse the orders of a second round on the same account: cancelling young
    orders costs up to 8 points each) and a config file of its own, with exactly the
    profiles it uses, whose secrets are in a 0600 secrets file beside it.
    """
    from kraken_ops.exchange.state import State
    from kraken_ops.profiles.manage import store_paper_profile

    names = []
    db = State(server.state_dir)
    try:
        for _ in range(count):
            name = f"bench{next(_serial):04d}"
            acct = db.add_account(name, tier="pro", nonce_window=0)
            db.deposit(name, "ZUSD", Decimal("1000000"))
            store_paper_profile(
                name, server.url, acct.spot_key, acct.spot_secret, acct.futures_key, acct.futures_secret,
                tier="pro", secret_dir=config.parent, path=config,
            )
            names.append(name)
    finally:
        db.close()
    return names


def place_orders(names: list[str], orders: int) -> None:
    """``orders`` open Spot limit orders on each account (concurrently; not timed)."""
    from kraken_ops.spot import Trade

    def one(name: str) -> None:
        with Trade.from_profile(name) as trade:
            for _ in range(orders):
                trade.create_order(ordertype="limit", side="buy", pair="XBTUSD", volume="0.001", price="1000")

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(one, names))


def open_orders(name: str) -> int:
    from kraken_ops.spot import User

    with User.from_profile(name) as user:
        return len(user.get_open_orders()["open"])


def cli(env: dict[str, str], *args: str) -> float:
    """Seconds one ``kraken-ops`` process takes (it must succeed)."""
    started = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "kraken_ops.cli", *args], env=env, capture_output=True, text=True, timeout=600)
    elapsed = time.perf_counter() - started
    if run.returncode != 0:
        raise SystemExit(f"kraken-ops {' '.join(args)} failed (exit {run.returncode}): {run.stderr.strip()[-600:]}")
    return elapsed


def in_process(*args: str) -> float:
    """Seconds the command takes in this process (imports already warm)."""
    import contextlib
    import io

    from kraken_ops.cli.app import app

    started = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        try:
            app(list(args), standalone_mode=False)
        except SystemExit as exc:
            if exc.code:
                raise
    return time.perf_counter() - started


def median(values: list[float]) -> float:
    return statistics.median(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=20)
    parser.add_argument("--orders", type=int, default=10)
    parser.add_argument("--profiles", default="1,10,50")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--only", choices=("panic", "balances"), help="Run one of the two benchmarks.")
    parser.add_argument("--json", action="store_true", help="Print the figures as JSON.")
    args = parser.parse_args()
    sizes = [int(p) for p in args.profiles.split(",") if p]

    from kraken_ops.profiles.paper import start_exchange, stop_exchange

    with tempfile.TemporaryDirectory(prefix="kraken-bench-fleet-") as tmp:
        work = Path(tmp)
        env = {k: v for k, v in os.environ.items() if not k.startswith("KRAKEN_OPS_")}
        env.update(
            KRAKEN_OPS_CONFIG=str(work / "config.toml"),
            KRAKEN_OPS_STATE_DIR=str(work / "state"),
            PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",  # paper secrets in the exchange's 0600 file
            PYTHONPATH=str(REPO),
        )
        os.environ.update({k: env[k] for k in ("KRAKEN_OPS_CONFIG", "KRAKEN_OPS_STATE_DIR", "PYTHON_KEYRING_BACKEND")})
        server = start_exchange("http://127.0.0.1:0", work / "exchange")
        try:
            figures: dict[str, Any] = {}
            configs = iter(range(10**6))

            def fresh(count: int) -> tuple[list[str], dict[str, str]]:
                """``count`` new accounts in a config file of their own; the environment that uses it."""
                folder = work / f"config{next(configs)}"
                folder.mkdir()
                names = make_accounts(server, count, folder / "config.toml")
                os.environ["KRAKEN_OPS_CONFIG"] = str(folder / "config.toml")  # for the in-process runs and the set-up
                return names, {**env, "KRAKEN_OPS_CONFIG": str(folder / "config.toml")}

            print(f"exchange {server.url}; {args.repeat} runs each, median", file=sys.stderr)

            # --- panic on N accounts against one account's cancel-all (the same config: N + 1 profiles) ---
            one, panic, one_in, panic_in = [], [], [], []
            for _ in range(args.repeat if args.only != "balances" else 0):
                for times, runner in ((one, "process"), (one_in, "in")):
                    names, run_env = fresh(args.accounts + 1)
                    base, fleet_names = names[0], names[1:]
                    place_orders([base], args.orders)
                    argv = ("orders", "cancel-all", "-p", base, "--yes", "-o", "json")
                    times.append(cli(run_env, *argv) if runner == "process" else in_process(*argv))
                    place_orders(fleet_names, args.orders)
                    argv = ("panic", *sum((["-p", n] for n in fleet_names), []), "--yes", "-o", "json")
                    (panic if runner == "process" else panic_in).append(cli(run_env, *argv) if runner == "process" else in_process(*argv))
                    assert all(open_orders(n) == 0 for n in [base, *fleet_names]), "orders left open"
            if one:
                figures["cancel-all, 1 account"] = {"process": median(one), "in_process": median(one_in)}
                figures[f"panic, {args.accounts} accounts"] = {"process": median(panic), "in_process": median(panic_in)}
                figures["panic ratio"] = {"process": median(panic) / median(one), "in_process": median(panic_in) / median(one_in), "goal": GOALS["panic"]}

            # --- balances on 1, 10, 50 profiles (the same config of max(sizes) profiles, disjoint accounts per size) ---
            names, run_env = fresh(sum(sizes) if args.only != "panic" else 0)
            base: dict[str, float] = {}
            start = 0
            for size in sizes if args.only != "panic" else []:
                chosen = sum((["-p", n] for n in names[start : start + size]), [])
                start += size
                runs = [cli(run_env, "balances", *chosen, "-o", "json") for _ in range(args.repeat)]
                runs_in = [in_process("balances", *chosen, "-o", "json") for _ in range(args.repeat)]
                figures[f"balances, {size} profiles"] = {"process": median(runs), "in_process": median(runs_in)}
                if size == sizes[0]:
                    base = {"process": median(runs), "in_process": median(runs_in)}
                else:
                    goal = GOALS.get(f"balances {size}")
                    figures[f"balances ratio {size}/{sizes[0]}"] = {
                        "process": median(runs) / base["process"], "in_process": median(runs_in) / base["in_process"], "goal": goal,
                    }
        finally:
            stop_exchange(server.pid or 0)

    if args.json:
        print(json.dumps(figures, indent=2))
        return
    print(f"{'figure':<28} {'process':>10} {'in-process':>11} {'goal':>6}")
    for name, value in figures.items():
        ratio = "ratio" in name
        fmt = (lambda v: f"{v:.2f}x") if ratio else (lambda v: f"{v:.3f} s")
        goal = f"{value['goal']:.1f}x" if ratio and value.get("goal") else ""
        print(f"{name:<28} {fmt(value['process']):>10} {fmt(value['in_process']):>11} {goal:>6}")


if __name__ == "__main__":
    main()
