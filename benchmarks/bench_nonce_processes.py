"""Nonce safety across processes: kraken-ops vs python-kraken-sdk 3.5.1 (one command, counts side by side).

    python benchmarks/bench_nonce_processes.py [--processes 8] [--calls 25] [--latency 20]
                                               [--call balance,cancel-all] [--sdk-python /tmp/refvenv/bin/python] [--json]

The experiment of issue 4: N processes x M private calls each, all on **one** API key,
against the local exchange (``kraken-ops exchange serve`` started in the background on a
free port with a temporary state dir) with a strict nonce (the account's nonce window is
0) and response jitter (``--fault latency=MS``: every request waits 0.5-1.5 x MS before
the exchange looks at it, so requests overtake each other).

* **kraken-ops**: each process builds ``User.from_profile("bench")`` from a paper profile
  (tier pro): nonces from the shared nonce store, one request of the key in flight at a
  time, and the shared rate-limit counter (it waits instead of tripping Kraken's limit).
* **python-kraken-sdk 3.5.1**: each process builds ``User(key, secret, url=...)``, as its
  documentation shows; it runs in a scratch venv (never a kraken-ops dependency:
  ``python -m venv /tmp/refvenv && /tmp/refvenv/bin/pip install python-kraken-sdk==3.5.1``).

Each side gets its own fresh account (tier pro: 20 calls, decaying 1/s), so the two do
not share a nonce or a rate counter. Two kinds of call:

* ``balance``: ``get_account_balance`` (``/0/private/Balance``, cost 1 on Kraken's REST
  counter). kraken-ops paces itself (about 1 call/s after the first 19 at tier pro);
  python-kraken-sdk does not, so some of its calls come back ``EAPI:Rate limit exceeded``
  -- the exchange checks the nonce first, so those still count as nonce-accepted.
* ``cancel-all``: ``cancel_all_orders`` (``/0/private/CancelAll``, cost 0 on the REST
  counter), so that both run at full speed.

Printed per side: calls, ok, invalid nonce, rate-limited, other errors, wall time. Only
the invalid-nonce count is the point; the rest explains the time. Timing is not asserted
anywhere; run it on an idle machine.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

DEFAULT_SDK_PYTHON = "/tmp/refvenv/bin/python"

# One worker source for both libraries: only the client construction differs.
WORKER = textwrap.dedent(
    """
    import json, os, sys, time
    lib, call, calls, start = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    if lib == "kraken-ops":
        from kraken_ops.spot import Trade, User
        client = (User if call == "balance" else Trade).from_profile("bench")
    else:
        from kraken.spot import Trade, User
        cls = User if call == "balance" else Trade
        client = cls(key=os.environ["BENCH_KEY"], secret=os.environ["BENCH_SECRET"], url=os.environ["BENCH_URL"])
    fn = client.get_account_balance if call == "balance" else client.cancel_all_orders
    counts = {"ok": 0, "invalid_nonce": 0, "rate_limited": 0, "other": 0}
    first_other = None
    while time.time() < start:
        time.sleep(0.002)
    for _ in range(calls):
        try:
            fn()
            counts["ok"] += 1
        except Exception as exc:
            text = (type(exc).__name__ + " " + str(exc)).lower()
            if "nonce" in text:
                counts["invalid_nonce"] += 1
            elif "ratelimit" in text or "rate limit" in text or "apilimit" in text:
                counts["rate_limited"] += 1
            else:
                counts["other"] += 1
                first_other = first_other or f"{type(exc).__name__}: {exc}"[:200]
    counts["first_other"] = first_other
    print(json.dumps(counts))
    """
)


def _account(state_dir: Path, name: str) -> Any:
    from kraken_ops.exchange.state import State

    db = State(state_dir)
    try:
        acct = db.add_account(name, tier="pro", nonce_window=0)
        db.deposit(name, "ZUSD", Decimal("1000"))
        return acct
    finally:
        db.close()


def _write_profile(config: Path, url: str, key: str) -> None:
    from kraken_ops.profiles.config import Config, Profile, write_config

    profile = Profile(name="bench", environment="paper", url=url, spot_key=key, tier="pro", nonce_window=0)
    write_config(Config(path=config, default="bench", profiles={"bench": profile}), config)


def run_side(lib: str, python: str, call: str, processes: int, calls: int, url: str, acct: Any, work: Path) -> dict[str, Any]:
    env = dict(os.environ)
    env.pop("KRAKEN_OPS_PROFILE", None)
    if lib == "kraken-ops":
        config = work / f"config-{call}.toml"
        _write_profile(config, url, acct.spot_key)
        env.update(
            KRAKEN_OPS_CONFIG=str(config),
            KRAKEN_OPS_STATE_DIR=str(work / f"state-{call}"),
            # no keyring needed: the environment supplies the secret of the profile's own key
            KRAKEN_OPS_API_KEY=acct.spot_key,
            KRAKEN_OPS_SECRET_KEY=acct.spot_secret,
            PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
            PYTHONPATH=str(REPO) + os.pathsep + env.get("PYTHONPATH", ""),
        )
    else:
        env.update(BENCH_KEY=acct.spot_key, BENCH_SECRET=acct.spot_secret, BENCH_URL=url)
        env.pop("PYTHONPATH", None)
    start = time.time() + 3.0  # every process has imported its library before the first call
    procs = [
        subprocess.Popen([python, "-c", WORKER, lib, call, str(calls), repr(start)], env=env, cwd=work,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(processes)
    ]
    total = {"calls": processes * calls, "ok": 0, "invalid_nonce": 0, "rate_limited": 0, "other": 0, "first_other": None}
    for proc in procs:
        out, err = proc.communicate(timeout=3600)
        if proc.returncode != 0:
            raise SystemExit(f"{lib} worker failed (exit {proc.returncode}):\n{err.strip()[-2000:]}")
        counts = json.loads(out.strip().splitlines()[-1])
        for k in ("ok", "invalid_nonce", "rate_limited", "other"):
            total[k] += counts[k]
        total["first_other"] = total["first_other"] or counts["first_other"]
    total["seconds"] = round(time.time() - start, 1)
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--processes", type=int, default=8)
    parser.add_argument("--calls", type=int, default=25, help="private calls per process")
    parser.add_argument("--latency", type=int, default=20, help="exchange --fault latency=MS (jitter 0.5-1.5x)")
    parser.add_argument("--call", default="balance,cancel-all", help="balance, cancel-all or both (comma-separated)")
    parser.add_argument("--sdk-python", default=DEFAULT_SDK_PYTHON, help="interpreter with python-kraken-sdk 3.5.1")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)
    kinds = [k.strip() for k in args.call.split(",") if k.strip()]
    if not kinds or any(k not in ("balance", "cancel-all") for k in kinds):
        parser.error("--call takes balance, cancel-all or both")
    sides = [("kraken-ops", sys.executable)]
    if Path(args.sdk_python).exists():
        check = subprocess.run([args.sdk_python, "-c", "import importlib.metadata as m; print(m.version('python-kraken-sdk'))"],
                               capture_output=True, text=True)
        version = check.stdout.strip() if check.returncode == 0 else None
        if version:
            sides.append((f"python-kraken-sdk {version}", args.sdk_python))
    if len(sides) == 1:
        print(f"warning: no python-kraken-sdk at {args.sdk_python}; running kraken-ops only", file=sys.stderr)

    from kraken_ops.profiles.paper import start_exchange, stop_exchange

    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-nonce-") as tmp:
        work = Path(tmp)
        server = start_exchange("http://127.0.0.1:0", work / "exchange", extra_args=["--fault", f"latency={args.latency}"])
        try:
            print(f"exchange {server.url} (latency fault {args.latency} ms, strict nonce, tier pro); "
                  f"{args.processes} processes x {args.calls} calls on one key per side", file=sys.stderr)
            for kind in kinds:
                for n, (label, python) in enumerate(sides):
                    acct = _account(server.state_dir, f"bench-{kind}-{n}")
                    lib = "kraken-ops" if n == 0 else "python-kraken-sdk"
                    print(f"  {kind}: {label} ...", file=sys.stderr, flush=True)
                    result = run_side(lib, python, kind, args.processes, args.calls, server.url, acct, work)
                    results.append({"call": kind, "client": label, **result})
        finally:
            stop_exchange(server.pid or 0)
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    header = f"{'call':<11} {'client':<26} {'calls':>5} {'ok':>5} {'invalid nonce':>13} {'rate-limited':>12} {'other':>5} {'seconds':>8}"
    print(header)
    print("-" * len(header))
    for r in results:
        print(f"{r['call']:<11} {r['client']:<26} {r['calls']:>5} {r['ok']:>5} {r['invalid_nonce']:>13} {r['rate_limited']:>12} {r['other']:>5} {r['seconds']:>8}")
    for r in results:
        if r["first_other"]:
            print(f"note: {r['client']} ({r['call']}) other error: {r['first_other']}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
