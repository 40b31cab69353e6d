#!/usr/bin/env bash
# Start-up benchmark of the kraken-ops CLI: --version, --help, and `market time -o json`
# against the local exchange, side by side with python-kraken-sdk's `kraken` when it is
# installed. Uses hyperfine when available, else a Python timing loop.
#
#   bash benchmarks/bench_cli_startup.sh [RUNS]
set -euo pipefail
RUNS="${1:-20}"
cd "$(dirname "$0")/.."
PY="${PYTHON:-python}"
PORT="$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
STATE="$(mktemp -d)"
trap 'kill "$SERVER" 2>/dev/null || true; rm -rf "$STATE"' EXIT
$PY -m kraken_ops.cli exchange serve --host 127.0.0.1 --port "$PORT" --state "$STATE" >/dev/null 2>&1 &
SERVER=$!
for _ in $(seq 50); do
  curl -fsS "http://127.0.0.1:$PORT/0/public/Time" >/dev/null 2>&1 && break
  sleep 0.2
done
CONFIG="$STATE/config.toml"
printf '[profiles.paper]\nenvironment = "paper"\nurl = "http://127.0.0.1:%s"\n' "$PORT" >"$CONFIG"
export KRAKEN_OPS_CONFIG="$CONFIG" KRAKEN_OPS_STATE_DIR="$STATE/state"

CMDS=(
  "kraken-ops --version"
  "kraken-ops --help"
  "kraken-ops market time -o json --profile paper"
)
if command -v kraken >/dev/null 2>&1 && $PY -c "import kraken" 2>/dev/null; then
  CMDS+=("kraken --version" "kraken spot http://127.0.0.1:$PORT/0/public/Time")
fi

if command -v hyperfine >/dev/null 2>&1; then
  hyperfine --warmup 3 --runs "$RUNS" "${CMDS[@]}"
else
  $PY - "$RUNS" "${CMDS[@]}" <<'PYEOF'
import shlex, statistics, subprocess, sys, time
runs = int(sys.argv[1])
for cmd in sys.argv[2:]:
    argv = shlex.split(cmd)
    subprocess.run(argv, capture_output=True)  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, capture_output=True, check=False)
        times.append(time.perf_counter() - start)
    print(f"{cmd:60s} mean {statistics.mean(times)*1000:7.1f} ms  min {min(times)*1000:7.1f} ms  (n={runs})")
PYEOF
fi
