#!/usr/bin/env bash
# One-command demo: install kraken-ops into .venv, start the local Kraken-compatible
# exchange on a free loopback port, create a funded paper account and profile, and
# use the CLI, the raw command and the SDK against it. Nothing touches your real
# config, keyring or Kraken: everything lives in a temporary directory.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x .venv/bin/kraken-ops ]; then
  python3 -m venv .venv
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e .
fi
export PATH="$PWD/.venv/bin:$PATH"

demo=$(mktemp -d)
export KRAKEN_OPS_CONFIG="$demo/config.toml"
export KRAKEN_OPS_STATE_DIR="$demo/state"
state="$demo/exchange"
server_pid=""
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$demo"; }
trap cleanup EXIT

step() { printf '\n\033[1m$ %s\033[0m\n' "$*" >&2; }

# 1. The exchange, on a free port, with a deterministic market.
kraken-ops exchange serve --port 0 --state "$state" --seed 42 2>"$demo/serve.log" &
server_pid=$!
for _ in $(seq 1 100); do
  grep -q "listening on" "$demo/serve.log" 2>/dev/null && break
  sleep 0.1
done
url=$(sed -n 's/.*listening on \(http[^ ]*\).*/\1/p' "$demo/serve.log" | head -n1)
[ -n "$url" ] || { echo "the exchange did not start:" >&2; cat "$demo/serve.log" >&2; exit 1; }
echo "local exchange at $url" >&2

# 2. A funded paper account. Its secrets go to 0600 files read by the profile's
#    secret_command (a real setup keeps them in the OS keyring: profile add / --paper).
mkdir -m 700 "$demo/secrets"
kraken-ops exchange account add demo --state "$state" --fund ZUSD=25000 --fund XXBT=1.5 --print-credentials >"$demo/secrets/creds.json"
python3 - "$demo" "$url" <<'PY'
import json, os, sys
demo, url = sys.argv[1], sys.argv[2]
creds = json.load(open(f"{demo}/secrets/creds.json"))
for market in ("spot", "futures"):
    path = f"{demo}/secrets/demo-{market}"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, (creds[market]["secret"] + "\n").encode()); os.close(fd)
os.remove(f"{demo}/secrets/creds.json")
with open(f"{demo}/demo.toml", "w") as f:
    f.write(f'''default = "demo"
[profiles.demo]
environment = "paper"
url = "{url}"
spot_key = "{creds["spot"]["key"]}"
futures_key = "{creds["futures"]["key"]}"
secret_command = "cat {demo}/secrets/{{profile}}-{{market}}"
confirm = false
tier = "pro"
description = "demo account on the local exchange"
''')
PY
step kraken-ops profile import demo.toml
kraken-ops profile import "$demo/demo.toml" >/dev/null
kraken-ops profile list

step kraken-ops market ticker XBTUSD ETHUSD
kraken-ops market ticker XBTUSD ETHUSD
step kraken-ops balances --profile demo
kraken-ops balances --profile demo

step kraken-ops orders create --profile demo --pair XBTUSD --side buy --type market --volume 0.01
kraken-ops orders create --profile demo --pair XBTUSD --side buy --type market --volume 0.01
step kraken-ops orders create --profile demo --pair XBTUSD --side sell --type limit --volume 0.02 --price 1000000
kraken-ops orders create --profile demo --pair XBTUSD --side sell --type limit --volume 0.02 --price 1000000
step kraken-ops orders list --profile demo -o json
kraken-ops orders list --profile demo -o json
step kraken-ops orders cancel-all --profile demo
kraken-ops orders cancel-all --profile demo
step kraken-ops trades list --profile demo
kraken-ops trades list --profile demo

step kraken spot "$url/0/public/Time"
kraken spot "$url/0/public/Time"

step "python: kraken_ops.spot.Market(url=...).get_ticker(pair='XBTUSD')"
python - "$url" <<'PY'
import sys
from kraken_ops.spot import Market
with Market(url=sys.argv[1]) as market:
    ticker = market.get_ticker(pair="XBTUSD")
    for pair, t in ticker.items():
        print(f"{pair}: bid {t['b'][0]}  ask {t['a'][0]}  last {t['c'][0]}")
PY
echo >&2
echo "demo done: the exchange, config and secrets in $demo are removed on exit" >&2
