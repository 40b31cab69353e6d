#!/usr/bin/env bash
# The test command (README): the whole suite, then the profile tests against a real
# Secret Service keyring (gnome-keyring under dbus-run-session, unlocked with a throwaway password).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=python3
[ -x .venv/bin/python ] && PY=.venv/bin/python
export PATH="$(dirname "$(readlink -f "$PY")"):$PWD/.venv/bin:$PATH"

"$PY" -m pytest -q -m "not keyring_real" "$@"

if command -v dbus-run-session >/dev/null 2>&1 && command -v gnome-keyring-daemon >/dev/null 2>&1; then
  dbus-run-session -- bash -c '
    set -e
    export XDG_DATA_HOME=$(mktemp -d)
    eval "$(printf "kraken-ops-ci\n" | gnome-keyring-daemon --unlock --components=secrets)" >/dev/null
    '"$PY"' -m pytest -q -m keyring_real -p no:cacheprovider
  '
else
  echo "note: gnome-keyring or dbus missing; real-keyring tests skipped (bash .ci/run installs them)" >&2
fi
