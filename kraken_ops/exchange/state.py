"""SQLite state of the local exchange.

One database file, ``STATE_DIR/exchange.sqlite3``, in WAL mode so that the CLI
(``kraken-ops exchange account add`` and friends) can write while the server runs.
The server notices such writes with ``PRAGMA data_version`` (cheap) and reloads its
account cache; balances are always read from the database.

Money is stored as decimal TEXT, never REAL.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable

ALL_PERMISSIONS = (
    "query_funds",
    "query_orders",
    "query_ledgers",
    "trade",
    "cancel",
    "withdraw",
    "export",
    "earn",
    "websocket",
    "futures",
)

TIERS = ("starter", "intermediate", "pro")

#: an admin credit (``exchange deposit``, ``account fund``, ``account add --fund``) must be
#: above 0 and below this, and so must the balance it makes: 10^15 of any asset is far more
#: than any paper account needs, and every such number stays formattable (see engine.NUMBER_LIMIT)
BALANCE_LIMIT = Decimal(10) ** 15
#: amounts read from the database at or beyond this (or not numbers at all) cannot be shown in
#: Kraken's formats; such a row (written before the bounds above existed, or by hand) is
#: skipped with a warning in the server log instead of failing every Balance of the account
READABLE_LIMIT = Decimal(10) ** 17

log = logging.getLogger("kraken_ops.exchange")
_warned: set[tuple[str, ...]] = set()


def readable_amount(text: Any, where: str, *key: str, sink: list[str] | None = None) -> Decimal | None:
    """``text`` (a stored amount) as a Decimal, or None when it is not a finite number below
    :data:`READABLE_LIMIT` in absolute value: then a warning goes to the server log (once per
    row and process) and to ``sink`` (every time)."""
    try:
        value = Decimal(str(text))
    except ArithmeticError:
        value = None
    if value is not None and value.is_finite() and abs(value) < READABLE_LIMIT:
        return value
    message = (f"exchange state: skipped unreadable {where} {'/'.join(key)} = {str(text)[:40]!r} "
               "(not a number below 1e17); the next credit or debit replaces it")
    if sink is not None:
        sink.append(message)
    token = (where, *key, str(text)[:40])
    if token not in _warned:
        _warned.add(token)
        log.warning("%s", message)
    return None

SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (
    name TEXT PRIMARY KEY,
    spot_key TEXT UNIQUE NOT NULL,
    spot_secret TEXT NOT NULL,
    futures_key TEXT UNIQUE NOT NULL,
    futures_secret TEXT NOT NULL,
    permissions TEXT NOT NULL,
    tier TEXT NOT NULL DEFAULT 'pro',
    nonce_window INTEGER NOT NULL DEFAULT 0,
    parent TEXT,
    email TEXT,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS account_otp (
    account TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    secret TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS nonces (
    key TEXT PRIMARY KEY,
    last_nonce INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS balances (
    account TEXT NOT NULL,
    wallet TEXT NOT NULL DEFAULT 'spot',
    asset TEXT NOT NULL,
    amount TEXT NOT NULL,
    PRIMARY KEY (account, wallet, asset)
);
CREATE TABLE IF NOT EXISTS orders (
    txid TEXT PRIMARY KEY,
    account TEXT NOT NULL,
    status TEXT NOT NULL,
    opentm REAL NOT NULL,
    closetm REAL,
    userref INTEGER,
    cl_ord_id TEXT,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS orders_account ON orders(account, status);
CREATE TABLE IF NOT EXISTS amends (
    amend_id TEXT PRIMARY KEY,
    txid TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS trades (
    txid TEXT PRIMARY KEY,
    account TEXT NOT NULL,
    time REAL NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS trades_account ON trades(account, time);
CREATE TABLE IF NOT EXISTS ledgers (
    id TEXT PRIMARY KEY,
    account TEXT NOT NULL,
    refid TEXT NOT NULL,
    time REAL NOT NULL,
    type TEXT NOT NULL,
    subtype TEXT NOT NULL DEFAULT '',
    aclass TEXT NOT NULL DEFAULT 'currency',
    asset TEXT NOT NULL,
    wallet TEXT NOT NULL DEFAULT 'spot',
    amount TEXT NOT NULL,
    fee TEXT NOT NULL,
    balance TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ledgers_account ON ledgers(account, time);
CREATE TABLE IF NOT EXISTS exports (
    id TEXT PRIMARY KEY,
    account TEXT NOT NULL,
    report TEXT NOT NULL,
    data TEXT NOT NULL,
    zip BLOB
);
CREATE TABLE IF NOT EXISTS withdraw_keys (
    account TEXT NOT NULL,
    asset TEXT NOT NULL,
    key TEXT NOT NULL,
    address TEXT NOT NULL,
    PRIMARY KEY (account, asset, key)
);
CREATE TABLE IF NOT EXISTS funding (
    refid TEXT PRIMARY KEY,
    account TEXT NOT NULL,
    kind TEXT NOT NULL,
    asset TEXT NOT NULL,
    time REAL NOT NULL,
    status TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS earn_allocations (
    account TEXT NOT NULL,
    strategy_id TEXT NOT NULL,
    amount TEXT NOT NULL,
    rewarded TEXT NOT NULL DEFAULT '0',
    pending_kind TEXT,
    pending_until REAL,
    pending_amount TEXT,
    PRIMARY KEY (account, strategy_id)
);
CREATE TABLE IF NOT EXISTS kv (
    k TEXT PRIMARY KEY,
    v TEXT NOT NULL
);
"""

_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def new_id(prefix: str, parts: tuple[int, ...] = (5, 5, 6)) -> str:
    """Kraken-style id like ``OUF4EM-FRGI2-MQMWZD`` (prefix letter + groups)."""
    groups = ["".join(secrets.choice(_ALNUM) for _ in range(n)) for n in parts]
    groups[0] = prefix + groups[0]
    return "-".join(groups)


def new_spot_key() -> str:
    """56-character base64-ish public key, like Kraken's."""
    raw = base64.b64encode(secrets.token_bytes(42)).decode()
    return raw.replace("/", "A").replace("+", "B")[:56]


def new_secret() -> str:
    """Base64 of 64 random bytes (88 characters), like Kraken's private keys."""
    return base64.b64encode(secrets.token_bytes(64)).decode()


def new_futures_key() -> str:
    return base64.b64encode(secrets.token_bytes(42)).decode().replace("/", "C").replace("+", "D")[:56]


def asset_class_of(asset: str) -> str:
    """Kraken's ``aclass`` of an asset id (``tokenized_asset`` for xStocks), for ledgers and funding."""
    from kraken_ops.exchange.markets import ASSETS

    a = ASSETS.get(asset)
    return a.aclass if a is not None else "currency"


@dataclass
class Account:
    """An exchange account with one Spot and one Futures API key."""

    name: str
    spot_key: str
    spot_secret: str
    futures_key: str
    futures_secret: str
    permissions: set[str] = field(default_factory=lambda: set(ALL_PERMISSIONS))
    tier: str = "pro"
    nonce_window: int = 0
    parent: str | None = None
    # Spot key 2FA: None, "password" (otp_secret is a salted hash) or "totp" (otp_secret is the base32 seed)
    otp: str | None = None
    otp_secret: str | None = field(default=None, repr=False)

    def public_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "spot_key": self.spot_key,
            "futures_key": self.futures_key,
            "permissions": sorted(self.permissions),
            "tier": self.tier,
            "nonce_window": self.nonce_window,
            "otp": self.otp,
        }


class StateError(Exception):
    """A user-facing problem with the state (unknown account, duplicate name...)."""


class AmountError(StateError):
    """An admin amount out of bounds (a usage error, not a problem of the state)."""


def check_admin_amount(amount: Any) -> Decimal:
    """``amount`` of an admin credit: a finite Decimal above 0 and below :data:`BALANCE_LIMIT`
    (else :class:`AmountError`)."""
    text = str(amount)
    shown = text if len(text) <= 40 else text[:37] + "..."
    if not isinstance(amount, Decimal) or not amount.is_finite() or amount <= 0:
        raise AmountError(f"bad amount {shown!r} (must be a positive number)")
    if amount >= BALANCE_LIMIT:
        raise AmountError(f"amount {shown!r} is too large (must be below 1e15)")
    return amount


def _otp_setting(password: str | None, seed: str | None) -> tuple[str | None, str | None]:
    """``(kind, stored secret)`` of a new account's 2FA: a password is kept as a salted hash, a TOTP seed as is."""
    from kraken_ops.exchange import auth

    if password is not None and seed is not None:
        raise StateError("a key has one kind of 2FA: a static password or a TOTP seed, not both")
    if password is not None:
        if not password:
            raise StateError("the 2FA password is empty")
        return "password", auth.hash_password(password)
    if seed is not None:
        try:
            if len(auth._seed_bytes(seed)) < 10:
                raise ValueError
        except (ValueError, TypeError):
            raise StateError("the TOTP seed must be base32 of at least 80 bits (16 characters)") from None
        return "totp", "".join(seed.split()).upper()
    return None, None


def default_state_dir() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("kraken-ops")) / "exchange"


class State:
    """The exchange database. ``conn`` belongs to the thread that created it."""

    def __init__(self, state_dir: str | os.PathLike[str] | None = None, fresh: bool = False) -> None:
        self.state_dir = Path(state_dir) if state_dir else default_state_dir()
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.path = self.state_dir / "exchange.sqlite3"
        if fresh:
            for suffix in ("", "-wal", "-shm"):
                p = Path(str(self.path) + suffix)
                if p.exists():
                    p.unlink()
        self.conn = sqlite3.connect(self.path, timeout=10, isolation_level=None, check_same_thread=False)
        self.conn.row_factory = sqlite3.Row
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.executescript(SCHEMA)
        self._lock = threading.RLock()
        #: rows skipped because they could not be read (see readable_amount), for the CLI to show
        self.warnings: list[str] = []
        self._accounts_version: int | None = None
        self._accounts: dict[str, Account] = {}
        self._by_spot: dict[str, Account] = {}
        self._by_futures: dict[str, Account] = {}

    # -- generic helpers -------------------------------------------------
    def execute(self, sql: str, params: Iterable[Any] = ()) -> sqlite3.Cursor:
        with self._lock:
            return self.conn.execute(sql, tuple(params))

    def query(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self.conn.execute(sql, tuple(params)).fetchall()

    def transaction(self) -> "_Tx":
        return _Tx(self)

    def close(self) -> None:
        self.conn.close()

    def kv_get(self, k: str, default: str | None = None) -> str | None:
        rows = self.query("SELECT v FROM kv WHERE k=?", (k,))
        return rows[0]["v"] if rows else default

    def kv_set(self, k: str, v: str) -> None:
        self.execute("INSERT OR REPLACE INTO kv(k, v) VALUES(?, ?)", (k, v))

    # -- accounts ---------------------------------------------------------
    def _refresh_accounts(self) -> None:
        version = self.conn.execute("PRAGMA data_version").fetchone()[0]
        if version == self._accounts_version:
            return
        self._accounts_version = version
        accounts: dict[str, Account] = {}
        otp = {r["account"]: (r["kind"], r["secret"]) for r in self.conn.execute("SELECT * FROM account_otp").fetchall()}
        for r in self.conn.execute("SELECT * FROM accounts").fetchall():
            kind, otp_secret = otp.get(r["name"], (None, None))
            accounts[r["name"]] = Account(
                name=r["name"],
                spot_key=r["spot_key"],
                spot_secret=r["spot_secret"],
                futures_key=r["futures_key"],
                futures_secret=r["futures_secret"],
                permissions=set(p for p in r["permissions"].split(",") if p),
                tier=r["tier"],
                nonce_window=int(r["nonce_window"]),
                parent=r["parent"],
                otp=kind,
                otp_secret=otp_secret,
            )
        self._accounts = accounts
        self._by_spot = {a.spot_key: a for a in accounts.values()}
        self._by_futures = {a.futures_key: a for a in accounts.values()}

    def invalidate_accounts(self) -> None:
        self._accounts_version = None

    def accounts(self) -> list[Account]:
        with self._lock:
            self._refresh_accounts()
            return sorted(self._accounts.values(), key=lambda a: a.name)

    def account(self, name: str) -> Account | None:
        with self._lock:
            self._refresh_accounts()
            return self._accounts.get(name)

    def account_by_spot_key(self, key: str) -> Account | None:
        with self._lock:
            self._refresh_accounts()
            return self._by_spot.get(key)

    def account_by_futures_key(self, key: str) -> Account | None:
        with self._lock:
            self._refresh_accounts()
            return self._by_futures.get(key)

    def add_account(
        self,
        name: str,
        permissions: Iterable[str] | None = None,
        tier: str = "pro",
        nonce_window: int = 0,
        parent: str | None = None,
        email: str | None = None,
        otp_password: str | None = None,
        otp_totp_seed: str | None = None,
    ) -> Account:
        """Create an account; ``otp_password`` or ``otp_totp_seed`` (base32) makes its Spot key require an otp."""
        if not name or len(name) > 64:
            raise StateError("account name must be 1-64 characters")
        if tier not in TIERS:
            raise StateError(f"unknown tier {tier!r} (use one of {', '.join(TIERS)})")
        perms = set(ALL_PERMISSIONS if permissions is None else permissions)
        unknown = perms - set(ALL_PERMISSIONS)
        if unknown:
            raise StateError(f"unknown permission(s) {', '.join(sorted(unknown))} (known: {', '.join(ALL_PERMISSIONS)})")
        if nonce_window < 0:
            raise StateError("nonce window must be >= 0")
        otp_kind, otp_secret = _otp_setting(otp_password, otp_totp_seed)
        acct = Account(name, new_spot_key(), new_secret(), new_futures_key(), new_secret(), perms, tier, nonce_window, parent,
                       otp_kind, otp_secret)
        with self._lock:
            try:
                self.conn.execute(
                    "INSERT INTO accounts(name, spot_key, spot_secret, futures_key, futures_secret, permissions, tier,"
                    " nonce_window, parent, email, created) VALUES(?,?,?,?,?,?,?,?,?,?,?)",
                    (name, acct.spot_key, acct.spot_secret, acct.futures_key, acct.futures_secret,
                     ",".join(sorted(perms)), tier, nonce_window, parent, email, time.time()),
                )
            except sqlite3.IntegrityError:
                raise StateError(f"account {name!r} already exists") from None
            if otp_kind is not None:
                self.conn.execute("INSERT OR REPLACE INTO account_otp(account, kind, secret) VALUES(?,?,?)", (name, otp_kind, otp_secret))
            self.invalidate_accounts()
        return acct

    def remove_account(self, name: str) -> None:
        with self._lock:
            cur = self.conn.execute("DELETE FROM accounts WHERE name=?", (name,))
            if cur.rowcount == 0:
                raise StateError(f"no account named {name!r}")
            self.conn.execute("DELETE FROM balances WHERE account=?", (name,))
            self.conn.execute("DELETE FROM account_otp WHERE account=?", (name,))
            self.invalidate_accounts()

    # -- nonces -------------------------------------------------------------
    def last_nonce(self, key: str) -> int | None:
        rows = self.query("SELECT last_nonce FROM nonces WHERE key=?", (key,))
        return int(rows[0]["last_nonce"]) if rows else None

    def store_nonce(self, key: str, nonce: int) -> None:
        self.execute(
            "INSERT INTO nonces(key, last_nonce) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET last_nonce=excluded.last_nonce",
            (key, str(nonce)),
        )

    # -- balances -------------------------------------------------------------
    def balances(self, account: str, wallet: str = "spot") -> dict[str, Decimal]:
        """Balances by asset; an unreadable row is left out (with a warning, see readable_amount)."""
        rows = self.query("SELECT asset, amount FROM balances WHERE account=? AND wallet=?", (account, wallet))
        out = {}
        for r in rows:
            value = readable_amount(r["amount"], "balance", account, wallet, r["asset"], sink=self.warnings)
            if value is not None:
                out[r["asset"]] = value
        return out

    def balance(self, account: str, asset: str, wallet: str = "spot") -> Decimal:
        """The balance (0 for none, and for an unreadable row: the next credit replaces it)."""
        rows = self.query(
            "SELECT amount FROM balances WHERE account=? AND wallet=? AND asset=?", (account, wallet, asset)
        )
        if not rows:
            return Decimal(0)
        value = readable_amount(rows[0]["amount"], "balance", account, wallet, asset, sink=self.warnings)
        return Decimal(0) if value is None else value

    def credit(
        self,
        account: str,
        asset: str,
        amount: Decimal,
        *,
        type: str,
        refid: str,
        fee: Decimal = Decimal(0),
        subtype: str = "",
        wallet: str = "spot",
        now: float | None = None,
        ledger_id: str | None = None,
    ) -> tuple[str, Decimal]:
        """Add ``amount - fee`` (amount may be negative) and write the ledger entry.

        Returns (ledger id, new balance).
        """
        now = time.time() if now is None else now
        with self._lock:
            new = self.balance(account, asset, wallet) + amount - fee
            self.conn.execute(
                "INSERT INTO balances(account, wallet, asset, amount) VALUES(?,?,?,?)"
                " ON CONFLICT(account, wallet, asset) DO UPDATE SET amount=excluded.amount",
                (account, wallet, asset, str(new)),
            )
            lid = ledger_id or new_id("L")
            self.conn.execute(
                "INSERT INTO ledgers(id, account, refid, time, type, subtype, aclass, asset, wallet, amount, fee, balance)"
                " VALUES(?,?,?,?,?,?,?,?,?,?,?,?)",
                (lid, account, refid, now, type, subtype, asset_class_of(asset), asset, wallet, str(amount), str(fee),
                 str(new)),
            )
        return lid, new

    def deposit(self, account: str, asset: str, amount: Decimal, method: str = "local", now: float | None = None) -> str:
        """Credit a deposit (used by ``exchange deposit`` and ``account fund``): ``amount`` and the
        new balance must be above 0 and below :data:`BALANCE_LIMIT` (else :class:`StateError`)."""
        if self.account(account) is None:
            raise StateError(f"no account named {account!r}")
        check_admin_amount(amount)
        now = time.time() if now is None else now
        refid = new_id("F", (6, 6, 6))
        with self._lock:
            if self.balance(account, asset) + amount >= BALANCE_LIMIT:
                raise AmountError(f"the {asset} balance of {account!r} would reach 1e15 (balances must stay below it)")
            self.credit(account, asset, amount, type="deposit", refid=refid, now=now)
            self.conn.execute(
                "INSERT INTO funding(refid, account, kind, asset, time, status, data) VALUES(?,?,?,?,?,?,?)",
                (refid, account, "deposit", asset, now, "Success", json.dumps({
                    "method": method, "aclass": asset_class_of(asset), "asset": asset, "refid": refid,
                    "txid": secrets.token_hex(32), "info": "local", "amount": str(amount), "fee": "0",
                    "time": int(now), "status": "Success",
                })),
            )
        return refid

    # -- withdraw keys --------------------------------------------------------
    def add_withdraw_key(self, account: str, asset: str, key: str, address: str) -> None:
        if self.account(account) is None:
            raise StateError(f"no account named {account!r}")
        self.execute(
            "INSERT OR REPLACE INTO withdraw_keys(account, asset, key, address) VALUES(?,?,?,?)",
            (account, asset, key, address),
        )


class _Tx:
    def __init__(self, state: State) -> None:
        self.state = state

    def __enter__(self) -> State:
        self.state._lock.acquire()
        self.state.conn.execute("BEGIN IMMEDIATE")
        return self.state

    def __exit__(self, exc_type: Any, *_: Any) -> None:
        try:
            self.state.conn.execute("ROLLBACK" if exc_type else "COMMIT")
        finally:
            self.state._lock.release()
