#!/usr/bin/env bash
# End-to-end streaming benchmark: messages per second from the local exchange through
# `kraken-ops stream trades PAIR... --url ws://.../ws/v2` into `wc -l`.
#
#   benchmarks/bench_stream_e2e.sh [SECONDS] [DRIVER_ACCOUNTS]
#
# Starts its own exchange (temporary --state, --port 0, --seed 1) and measures twice:
#   1. the exchange's own market (market maker + crowd trades) on all 8 pairs;
#   2. the same plus a trade driver: DRIVER_ACCOUNTS funded accounts sending market
#      orders through REST as fast as the exchange's trading rate limits allow
#      (every order prints at least one public trade).
# The exchange publishes each subscription's new trades at most every 0.1 s (one WS
# message carrying all of them), so messages/s is bounded by the exchange (10 per pair per
# second); trades/s shows how much data went through. `kraken-ops` writes one NDJSON line
# per message, so `wc -l` counts messages. Exchange behaviour is not changed.
set -euo pipefail
SECONDS_RUN=${1:-20}
ACCOUNTS=${2:-6}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=${PYTHON:-python}
KO=(${KRAKEN_OPS:-kraken-ops})
PAIRS=(BTC/USD ETH/USD BTC/EUR ETH/BTC DOT/USD SOL/USD AAPLx/USD TSLAx/USD)
WORK=$(mktemp -d)
EX_PID=""; DRV_PID=""
cleanup() { [ -n "$DRV_PID" ] && kill "$DRV_PID" 2>/dev/null || true; [ -n "$EX_PID" ] && kill "$EX_PID" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

"${KO[@]}" exchange serve --port 0 --state "$WORK/state" --seed 1 --fresh 2>"$WORK/serve.log" &
EX_PID=$!
for _ in $(seq 100); do grep -q "listening on" "$WORK/serve.log" && break; sleep 0.1; done
URL=$(grep -o "http://[0-9.:]*" "$WORK/serve.log" | head -1)
WS="${URL/http:/ws:}/ws/v2"
echo "exchange: $URL  (python $($PY -c 'import sys; print(sys.version.split()[0])'), $(nproc) CPUs)"

measure() {  # label
  local out="$WORK/out.ndjson" start end lines trades
  start=$(date +%s.%N)
  "${KO[@]}" stream trades "${PAIRS[@]}" --url "$WS" --duration "$SECONDS_RUN" > "$out"
  end=$(date +%s.%N)
  lines=$(wc -l < "$out")
  trades=$($PY -c 'import json,sys; print(sum(len(json.loads(l).get("data") or ()) for l in open(sys.argv[1])))' "$out")
  $PY -c 'import sys; l, t, s = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]); print(f"  {sys.argv[4]:<34} {l:>7} messages  {l/s:8.1f} msg/s  {t:>7} trades  {t/s:8.1f} trades/s  ({s:.1f} s)")' \
    "$lines" "$trades" "$(echo "$end - $start" | bc)" "$1"
}

echo "stream trades ${PAIRS[*]} | wc -l, ${SECONDS_RUN} s each:"
measure "exchange market only"

for i in $(seq "$ACCOUNTS"); do
  "${KO[@]}" exchange account add "drv$i" --fund ZUSD=100000000 --fund XXBT=10000 --fund XETH=100000 \
    --fund ZEUR=100000000 --fund DOT=10000000 --fund SOL=1000000 --print-credentials --state "$WORK/state" > "$WORK/drv$i.json"
done
ROOT="$ROOT" URL="$URL" WORK="$WORK" ACCOUNTS="$ACCOUNTS" $PY - <<'EOF' > "$WORK/driver.log" 2>&1 &
import json, os, sys, threading
sys.path.insert(0, os.environ["ROOT"])
from kraken_ops.spot import Trade
pairs = ["XBTUSD", "ETHUSD", "XBTEUR", "ETHXBT", "DOTUSD", "SOLUSD"]
vol = {"XBTUSD": "0.0001", "ETHUSD": "0.002", "XBTEUR": "0.0001", "ETHXBT": "0.002", "DOTUSD": "0.5", "SOLUSD": "0.02"}
def drive(n):
    creds = json.load(open(f"{os.environ['WORK']}/drv{n}.json"))["spot"]
    trade = Trade(key=creds["key"], secret=creds["secret"], url=os.environ["URL"])
    i = 0
    while True:
        pair = pairs[i % len(pairs)]; i += 1
        try:
            trade.create_order(ordertype="market", side="buy" if i % 2 else "sell", pair=pair, volume=vol[pair])
        except Exception:
            pass  # rate limited: the next pair
for n in range(1, int(os.environ["ACCOUNTS"]) + 1):
    threading.Thread(target=drive, args=(n,), daemon=True).start()
threading.Event().wait()
EOF
DRV_PID=$!
sleep 1
measure "market + ${ACCOUNTS}-account trade driver"
