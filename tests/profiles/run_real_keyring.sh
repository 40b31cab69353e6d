#!/usr/bin/env bash
# Run the profile tests against a real Secret Service keyring: a private D-Bus
# session with gnome-keyring's secrets component, unlocked with a throwaway
# password, and a throwaway keyring directory (never the user's own keyring).
#
#   bash tests/profiles/run_real_keyring.sh [extra pytest args]
#
# Needs: dbus (dbus-run-session), gnome-keyring, and the Python packages
# keyring + secretstorage (+ jeepney). On Debian/Ubuntu:
#   apt-get install -y gnome-keyring dbus-x11 libsecret-tools
set -euo pipefail
cd "$(dirname "$0")/../.."

PY="${PYTHON:-python3}"
[ -x .venv/bin/python ] && PY=.venv/bin/python
export PY

for tool in dbus-run-session gnome-keyring-daemon; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "error: $tool not found; install gnome-keyring and dbus (apt-get install -y gnome-keyring dbus-x11)" >&2
    exit 3
  fi
done

exec dbus-run-session -- bash -c '
  set -euo pipefail
  export XDG_DATA_HOME="$(mktemp -d)"      # a fresh keyring directory for this run
  eval "$(echo -n test | gnome-keyring-daemon --unlock --components=secrets)" >/dev/null
  "$PY" -m pytest -m keyring_real -p no:cacheprovider tests/profiles "$@"
' bash "$@"
