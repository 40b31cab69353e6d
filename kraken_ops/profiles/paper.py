"""Paper trading in one step: make sure the local exchange runs, open an account, store the profile.

``kraken-ops profile add demo --paper`` calls :func:`add_paper_profile`, which

1. finds the local exchange at the URL (default ``http://127.0.0.1:8787``): a server
   that listens there *and* is the one recorded in ``STATE_DIR/server.json`` of the
   exchange's state dir (its process alive). If nothing listens, it starts
   ``kraken-ops exchange serve`` in the background -- detached from the terminal, with
   that state dir, logging to ``STATE_DIR/server.log`` -- and waits (with a timeout)
   until it listens. Port 0 lets the server pick a free port.
2. creates an account with a Spot and a Futures key with the same function as
   ``kraken-ops exchange account add`` (:meth:`kraken_ops.exchange.state.State.add_account`)
   on the same state dir the running server uses (the server notices new accounts),
   and funds it (default ``ZUSD=10000, XXBT=1, XETH=10``) and its Futures wallets (default
   10,000 USD of flex collateral, 0.5 XBT in ``fi_xbtusd``, 1 ETH in ``fi_ethusd``: see
   :mod:`kraken_ops.exchange.futures.funding`);
3. stores a ``paper`` profile and both secrets with :func:`store_paper_profile` (in
   the keyring, or, on a machine without one, in the exchange's 0600 secrets file
   ``STATE_DIR/profile-secrets.json``). If that fails, the account is removed again.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Sequence
from urllib.parse import urlsplit

from kraken_ops.profiles.config import PAPER_URL, check_name
from kraken_ops.profiles.errors import ProfileError

DEFAULT_FUNDS: tuple[tuple[str, str], ...] = (("ZUSD", "10000"), ("XXBT", "1"), ("XETH", "10"))
START_TIMEOUT = 30.0
LOG_NAME = "server.log"

_started: list[subprocess.Popen[bytes]] = []  # keep the handles: no "still running" warnings at collection


@dataclass
class ExchangeInfo:
    """A running local exchange: its URL, state dir and process id; ``started`` if we started it."""

    url: str
    state_dir: Path
    pid: int | None
    started: bool
    log: Path | None = None


@dataclass
class PaperResult:
    profile: Any
    account: str
    exchange: ExchangeInfo
    funds: list[tuple[str, str]] = field(default_factory=list)
    #: Futures collateral credited: (wallet, asset, amount)
    futures_funds: list[tuple[str, str, str]] = field(default_factory=list)


# --- the exchange process ----------------------------------------------------------------


def exchange_state_dir(state: Path | str | None = None) -> Path:
    """The exchange's state dir: ``state`` or its default (the user data dir, ``/exchange``)."""
    if state is not None:
        return Path(state).expanduser()
    from kraken_ops.exchange.state import default_state_dir

    return default_state_dir()


def _host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ProfileError(f"bad exchange URL {url!r}: expected http://HOST:PORT (e.g. {PAPER_URL})")
    try:
        port = parts.port
    except ValueError:
        raise ProfileError(f"bad exchange URL {url!r}: the port is not a number") from None
    return parts.hostname, port if port is not None else (443 if parts.scheme == "https" else 80)


def listens(url: str, timeout: float = 0.5) -> bool:
    """Whether something accepts TCP connections at ``url``'s host and port."""
    host, port = _host_port(url)
    if port == 0:
        return False
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read_server_json(state_dir: Path) -> dict[str, Any] | None:
    """``STATE_DIR/server.json`` (``url``, ``pid``) of the last server started there, or None."""
    try:
        data = json.loads((state_dir / "server.json").read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("url"), str) else None


def _same_url(a: str, b: str) -> bool:
    try:
        (ha, pa), (hb, pb) = _host_port(a), _host_port(b)
    except ProfileError:
        return False
    local = {"127.0.0.1", "localhost", "::1", "[::1]"}
    return pa == pb and (ha == hb or (ha in local and hb in local))


def start_exchange(
    url: str,
    state_dir: Path,
    *,
    timeout: float = START_TIMEOUT,
    extra_args: Sequence[str] = (),
) -> ExchangeInfo:
    """Start ``kraken-ops exchange serve`` in the background and wait until it listens.

    The server is detached (own session, no terminal, stdin from /dev/null), its
    state is ``state_dir`` and its output goes to ``state_dir/server.log``. With port
    0 the server picks a free port; the URL it really listens on is returned.
    """
    host, port = _host_port(url)
    log_path = state_dir / LOG_NAME
    previous = read_server_json(state_dir)
    command = [sys.executable, "-m", "kraken_ops.cli", "exchange", "serve", "--host", host, "--port", str(port),
               "--state", str(state_dir), *extra_args]
    try:
        state_dir.mkdir(parents=True, exist_ok=True)
        with open(log_path, "ab") as log:
            log.write(f"--- {time.strftime('%Y-%m-%d %H:%M:%S')} {' '.join(command[1:])}\n".encode())
            log.flush()
            proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                command, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True, close_fds=True
            )
    except OSError as exc:
        raise ProfileError(
            f"cannot start the local exchange with state dir {state_dir}: {exc.strerror or type(exc).__name__} (pass --state DIR)"
        ) from None
    _started.append(proc)
    deadline = time.monotonic() + timeout
    while True:
        code = proc.poll()
        if code is not None:
            raise ProfileError(
                f"the local exchange did not start (`kraken-ops exchange serve` exited with code {code}); see {log_path}"
            )
        info = read_server_json(state_dir)
        if info is not None and info.get("pid") == proc.pid and info != previous and listens(info["url"]):
            return ExchangeInfo(info["url"].rstrip("/"), state_dir, proc.pid, True, log_path)
        if time.monotonic() > deadline:
            with contextlib.suppress(OSError):
                proc.terminate()
            raise ProfileError(
                f"the local exchange did not listen on {url} within {timeout:g}s; see {log_path} "
                "(start it yourself with `kraken-ops exchange serve` and retry)"
            )
        time.sleep(0.1)


def ensure_exchange(url: str | None = None, state_dir: Path | str | None = None, *, timeout: float = START_TIMEOUT) -> ExchangeInfo:
    """The local exchange at ``url`` using ``state_dir``: found running, or started in the background."""
    url = (url or PAPER_URL).rstrip("/")
    state = exchange_state_dir(state_dir)
    _host_port(url)
    if not listens(url):
        return start_exchange(url, state, timeout=timeout)
    info = read_server_json(state)
    pid = info.get("pid") if info else None
    if info is not None and _same_url(info["url"], url) and isinstance(pid, int) and _alive(pid):
        return ExchangeInfo(url, state, pid, False)
    raise ProfileError(
        f"something listens on {url} but it is not the local exchange of {state} "
        f"({'no server.json there' if info is None else 'its server.json names ' + str(info.get('url'))}): "
        "pass --state with the exchange's state dir, or --url with a free port (port 0 picks one)"
    )


# --- account and profile -------------------------------------------------------------------


def parse_funds(items: Sequence[str] | None) -> list[tuple[str, Decimal]]:
    """``["USD=1000", "XBT=0.5"]`` -> ``[("ZUSD", Decimal("1000")), ("XXBT", Decimal("0.5"))]``."""
    from kraken_ops.exchange.markets import ASSETS, normalize_asset

    out = []
    for item in items or []:
        asset, sep, amount = item.partition("=")
        if not sep:
            raise ProfileError(f"bad --fund {item!r}: expected ASSET=AMOUNT, e.g. USD=10000")
        aid = normalize_asset(asset.strip())
        if aid is None:
            raise ProfileError(f"bad --fund {item!r}: unknown asset {asset.strip()!r} (known: {', '.join(a.altname for a in ASSETS.values())})")
        try:
            value = Decimal(amount.strip())
        except InvalidOperation:
            raise ProfileError(f"bad --fund {item!r}: {amount.strip()!r} is not a decimal number") from None
        if not value.is_finite() or value <= 0:
            raise ProfileError(f"bad --fund {item!r}: the amount must be positive")
        out.append((aid, value))
    return out


def add_paper_profile(
    name: str,
    *,
    url: str | None = None,
    state_dir: Path | str | None = None,
    funds: Sequence[str] | None = None,
    account: str | None = None,
    tier: str | None = None,
    nonce_window: int | None = None,
    description: str | None = None,
    start_timeout: float = START_TIMEOUT,
    futures_funds: Sequence[str] | None = None,
) -> PaperResult:
    """Create an account on the local exchange (starting it if needed) and store profile ``name``.
    ``futures_funds``: ``[WALLET:]ASSET=AMOUNT`` items for the Futures wallets (default
    :data:`~kraken_ops.exchange.futures.funding.DEFAULT_FUTURES_FUNDS`).

    >>> add_paper_profile("demo", funds=["USD=5000"], futures_funds=["USD=2500"])  # doctest: +SKIP
    """
    from kraken_ops.exchange.futures.funding import (DEFAULT_FUTURES_FUNDS, FuturesFundingError, credit_futures,
                                                     parse_futures_funds)
    from kraken_ops.exchange.markets import use_state_markets

    from kraken_ops.profiles.config import read_config
    from kraken_ops.profiles.manage import store_paper_profile

    check_name(name)
    account = account or name
    existing = read_config().profiles.get(name)
    if existing is not None:
        raise ProfileError(
            f"profile {name!r} already exists ({existing.environment}); choose another name or remove it first "
            f"(`kraken-ops profile remove {name}`)"
        )
    use_state_markets(exchange_state_dir(state_dir))  # the assets of the universe that exchange serves
    fund_pairs = parse_funds(funds) if funds else parse_funds([f"{a}={v}" for a, v in DEFAULT_FUNDS])
    try:
        futures = parse_futures_funds(futures_funds if futures_funds else DEFAULT_FUTURES_FUNDS)
    except FuturesFundingError as exc:
        raise ProfileError(str(exc)) from None
    exchange = ensure_exchange(url, state_dir, timeout=start_timeout)

    from kraken_ops.exchange.state import State, StateError

    db = State(exchange.state_dir)
    try:
        try:
            acct = db.add_account(account, tier=tier or "pro", nonce_window=nonce_window or 0)
        except StateError as exc:
            hint = " (pass --account NAME to use another account name)" if "exists" in str(exc) else ""
            raise ProfileError(f"cannot create the exchange account: {exc}{hint}") from None
        try:
            for asset, amount in fund_pairs:
                db.deposit(account, asset, amount)
            for wallet, unit, amount in futures:
                credit_futures(db, account, wallet, unit, amount)
            profile = store_paper_profile(
                name,
                exchange.url,
                acct.spot_key,
                acct.spot_secret,
                acct.futures_key,
                acct.futures_secret,
                tier=tier or "pro",
                nonce_window=nonce_window or 0,
                description=description if description is not None else f"local exchange account {account!r}",
                secret_dir=exchange.state_dir,  # no keyring (a headless machine): the exchange's 0600 secrets file
            )
        except BaseException:
            with contextlib.suppress(Exception):
                db.remove_account(account)
            raise
    finally:
        db.close()
    return PaperResult(profile, account, exchange, [(a, format(v, "f")) for a, v in fund_pairs],
                       [(w, u, format(v, "f")) for w, u, v in futures])


def stop_exchange(pid: int, timeout: float = 10.0) -> None:
    """Terminate a background exchange by pid (tests and benchmarks)."""
    import signal

    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for proc in list(_started):
        if proc.pid == pid:
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
            _started.remove(proc)
            return
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if _alive(pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


__all__ = ["add_paper_profile", "ensure_exchange", "start_exchange", "stop_exchange", "parse_funds", "ExchangeInfo", "PaperResult", "DEFAULT_FUNDS"]
