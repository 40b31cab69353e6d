#!/usr/bin/env bash
# Start-up of the kraken-ops CLI side by side with python-kraken-sdk's `kraken` (issue 5's target:
# ratio <= 1.0 on each row). One command, no setup: it starts a local exchange on a free port.
#
#   bash benchmarks/bench_cli_startup.sh [RUNS]
#
#   row             kraken-ops                      python-kraken-sdk
#   version         kraken-ops --version            kraken --version
#   help            kraken-ops --help               kraken --version
#   market time     kraken-ops market time -o json  kraken spot URL/0/public/Time   (both against the local exchange)
#   python floor    python -c pass                  python -c pass                  (each tool's interpreter; context only)
#
# Environment: PYTHON (default python), KRAKEN_OPS (default: the kraken-ops console script next to
# PYTHON's scripts, not a pyenv shim), KRAKEN_REF (default /tmp/refvenv/bin/kraken: python-kraken-sdk,
# never a dependency of kraken-ops). Uses hyperfine when installed (apt-get install hyperfine), else a
# Python timing loop. Ratios are kraken-ops / python-kraken-sdk, on medians (robust on a busy machine).
set -euo pipefail
RUNS="${1:-30}"
cd "$(dirname "$0")/.."
PY="${PYTHON:-python}"
SCRIPTS="$("$PY" -c 'import sysconfig; print(sysconfig.get_path("scripts"))')"
KO="${KRAKEN_OPS:-$SCRIPTS/kraken-ops}"
[ -x "$KO" ] || KO="$(command -v kraken-ops)"
REF="${KRAKEN_REF:-/tmp/refvenv/bin/kraken}"
REF_PY="$(dirname "$REF")/python"
KO_PY="$(head -1 "$KO" | sed -n 's/^#!//p')"
[ -x "${KO_PY%% *}" ] || KO_PY="$PY"

WORK="$(mktemp -d)"
# Bytecode as an installed package has it (pip compiles on install), without writing __pycache__
# into the source tree: both tools read and write their .pyc files under $WORK.
unset PYTHONDONTWRITEBYTECODE
export PYTHONPYCACHEPREFIX="$WORK/pycache"
SERVER=""
cleanup() {
  if [ -n "$SERVER" ]; then kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# An account of the local exchange (its keys go to the environment: a profile needs a key even for
# public calls), then the exchange itself on a free port; it prints "listening on http://HOST:PORT" on stderr.
CREDS="$("$KO" exchange account add bench --print-credentials --state "$WORK/exchange")"
KRAKEN_OPS_API_KEY="$(printf '%s' "$CREDS" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["spot"]["key"])')"
KRAKEN_OPS_SECRET_KEY="$(printf '%s' "$CREDS" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["spot"]["secret"])')"
export KRAKEN_OPS_API_KEY KRAKEN_OPS_SECRET_KEY
"$KO" exchange serve --port 0 --state "$WORK/exchange" 2>"$WORK/serve.log" >/dev/null &
SERVER=$!
URL=""
for _ in $(seq 100); do
  URL="$(sed -n 's/^listening on \(http[^ ]*\).*/\1/p' "$WORK/serve.log" | head -1)"
  [ -n "$URL" ] && break
  kill -0 "$SERVER" 2>/dev/null || { cat "$WORK/serve.log" >&2; echo "the local exchange did not start" >&2; exit 1; }
  sleep 0.1
done
[ -n "$URL" ] || { echo "the local exchange printed no 'listening on' line" >&2; exit 1; }

# A paper profile pointing at it, chosen by KRAKEN_OPS_PROFILE so the command line is the issue's.
printf '[profiles.paper]\nenvironment = "paper"\nurl = "%s"\n' "$URL" >"$WORK/config.toml"
export KRAKEN_OPS_CONFIG="$WORK/config.toml" KRAKEN_OPS_STATE_DIR="$WORK/state" KRAKEN_OPS_PROFILE=paper
"$KO" market time -o json >/dev/null  # fail early (set -e) rather than time an error

ROWS=(
  "version|$KO --version|$REF --version"
  "help|$KO --help|$REF --version"
  "market time|$KO market time -o json|$REF spot $URL/0/public/Time"
  "python floor|$KO_PY -c pass|$REF_PY -c pass"
)
if [ ! -x "$REF" ]; then
  echo "note: $REF not found (set KRAKEN_REF); timing kraken-ops only" >&2
fi

"$PY" - "$RUNS" "$REF" "$WORK" "${ROWS[@]}" <<'PYEOF'
import json, os, shlex, shutil, statistics, subprocess, sys, time

runs, ref, work, rows = int(sys.argv[1]), sys.argv[2], sys.argv[3], [r.split("|") for r in sys.argv[4:]]
have_ref = os.access(ref, os.X_OK)

ROUNDS = 3  # the commands of a row alternate in rounds, so a busy moment hits both tools alike


def measure(*cmds: str) -> list[dict]:
    """mean, stddev and median in seconds of each command, in alternating rounds (hyperfine when installed)."""
    times: dict[str, list[float]] = {cmd: [] for cmd in cmds}
    per_round = max(1, runs // ROUNDS)
    for n in range(ROUNDS):
        order = list(cmds) if n % 2 == 0 else list(reversed(cmds))
        if shutil.which("hyperfine"):
            out = os.path.join(work, "h.json")
            with open(os.path.join(work, "hyperfine.log"), "a") as log:  # its warnings about noise go here
                subprocess.run(["hyperfine", "-N", "--warmup", "3", "--runs", str(per_round), "--style", "none",
                                "--export-json", out, *order], check=True, stdout=subprocess.DEVNULL, stderr=log)
            for cmd, result in zip(order, json.load(open(out))["results"]):
                times[cmd] += result["times"]
            continue
        for cmd in order:
            argv = shlex.split(cmd)
            subprocess.run(argv, capture_output=True)  # warm-up
            for _ in range(per_round):
                start = time.perf_counter()
                subprocess.run(argv, capture_output=True)
                times[cmd].append(time.perf_counter() - start)
    return [{"mean": statistics.mean(t), "stddev": statistics.pstdev(t), "median": statistics.median(t)} for t in times.values()]


def short(cmd: str) -> str:
    """The command as a reader would type it (no absolute paths, no port)."""
    words = cmd.split()
    words[0] = os.path.basename(words[0])
    return " ".join(w.split("://")[0] + "://…" + w[w.index("/0/"):] if "://" in w and "/0/" in w else w for w in words)

def cell(r: dict | None) -> str:
    return "n/a" if r is None else f"{r['median']*1000:6.1f} ms (mean {r['mean']*1000:6.1f} ± {r['stddev']*1000:5.1f})"

tool = "hyperfine" if shutil.which("hyperfine") else "python timing loop"
n = max(1, runs // ROUNDS) * ROUNDS
print(f"# kraken-ops vs python-kraken-sdk start-up ({tool}, {n} runs each in {ROUNDS} alternating rounds; "
      f"median, ratio = kraken-ops / python-kraken-sdk)")
header = f"{'row':13} {'kraken-ops':34} {'time':34} {'python-kraken-sdk':34} {'time':34} ratio"
print(header)
print("-" * len(header))
for _, ours, theirs in rows:  # fill both tools' bytecode caches before any timing
    for cmd in (ours, theirs) if have_ref else (ours,):
        for _ in range(3):
            subprocess.run(shlex.split(cmd), capture_output=True)
for name, ours, theirs in rows:
    a, b = measure(ours, theirs) if have_ref else (measure(ours)[0], None)
    ratio = f"{a['median'] / b['median']:.2f}" if b else "n/a"
    print(f"{name:13} {short(ours):34} {cell(a):34} {short(theirs):34} {cell(b):34} {ratio}", flush=True)
PYEOF
