"""SDK benchmarks, side by side with python-kraken-sdk 3.5.1.

    python benchmarks/bench_sdk.py [--ref-python PATH] [--requests 1000] [--repeat 15]

``--ref-python`` is the interpreter of a scratch virtual environment holding
python-kraken-sdk 3.5.1 (``python -m venv /tmp/refvenv && /tmp/refvenv/bin/pip install
python-kraken-sdk==3.5.1``); it is never a dependency of kraken-ops. Without it, only
kraken-ops is measured.

Measures:
1. import time of ``kraken_ops.spot`` vs ``kraken.spot`` (fresh interpreter each run;
   the interpreter's own start-up is subtracted; median of --repeat runs), and the same
   with the first access to ``User`` (our exports are lazy, so the bare import alone
   would flatter us);
2. wall time of N signed private requests (POST /0/private/Balance), sequential, one
   client, against one loopback server running in its own process.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SECRET = "kQH5HW/8p1uGOVjbgWA7FunAmGO8lsSUXNsu3eow76sz84Q18fWxnyRzBHCd3pd5nE9qa99HAZtuZuj6F1huXg=="

REQUESTS_SCRIPT = """
import sys, time
n, url, which = int(sys.argv[1]), sys.argv[2], sys.argv[3]
if which == "ops":
    from kraken_ops.spot import User
    client = User(key="benchkey", secret="{secret}", url=url, rate_limit=False)
else:
    from kraken.spot import User
    client = User(key="benchkey", secret="{secret}", url=url)
client.get_account_balance()  # warm the connection
t0 = time.perf_counter()
for _ in range(n):
    client.get_account_balance()
print(time.perf_counter() - t0)
""".replace("{secret}", SECRET)


def import_time(python: str, module: str, repeat: int) -> float:
    def run(code: str) -> float:
        t0 = time.perf_counter()
        subprocess.run([python, "-c", code], check=True)
        return time.perf_counter() - t0

    base = statistics.median(run("pass") for _ in range(repeat))
    return max(0.0, statistics.median(run(f"import {module}") for _ in range(repeat)) - base)


def signed_requests(python: str, which: str, n: int, url: str) -> float:
    out = subprocess.run([python, "-c", REQUESTS_SCRIPT, str(n), url, which], check=True, capture_output=True, text=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ref-python", default=os.environ.get("KRAKEN_REF_PYTHON", "/tmp/refvenv/bin/python"))
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    ref = args.ref_python if Path(args.ref_python).exists() else None

    server = subprocess.Popen([sys.executable, str(HERE / "_loopback_server.py")], stdout=subprocess.PIPE, text=True)
    try:
        port = int(server.stdout.readline())  # type: ignore[union-attr]
        url = f"http://127.0.0.1:{port}"
        rows = []
        ops_imp = import_time(sys.executable, "kraken_ops.spot", args.repeat)
        ref_imp = import_time(ref, "kraken.spot", args.repeat) if ref else None
        rows.append(("import spot (s)", ops_imp, ref_imp, 0.5))
        ops_imp_user = import_time(sys.executable, "kraken_ops.spot; kraken_ops.spot.User", args.repeat)
        ref_imp_user = import_time(ref, "kraken.spot; kraken.spot.User", args.repeat) if ref else None
        rows.append(("import spot + use User (s)", ops_imp_user, ref_imp_user, 0.5))
        ops_req = min(signed_requests(sys.executable, "ops", args.requests, url) for _ in range(3))
        ref_req = min(signed_requests(ref, "ref", args.requests, url) for _ in range(3)) if ref else None
        rows.append((f"{args.requests} signed requests (s)", ops_req, ref_req, 0.8))
    finally:
        server.terminate()
        server.wait()

    print(f"{'benchmark':32} {'kraken-ops':>11} {'python-kraken-sdk':>18} {'ratio':>7} {'target':>7}")
    for name, ours, theirs, target in rows:
        ratio = f"{ours / theirs:.2f}" if theirs else "-"
        theirs_s = f"{theirs:.4f}" if theirs is not None else "n/a"
        print(f"{name:32} {ours:11.4f} {theirs_s:>18} {ratio:>7} {'<= ' + str(target):>7}")


if __name__ == "__main__":
    main()
