"""Fetching what a portfolio or the metrics exporter needs, once per refresh.

:class:`FleetSource` holds the async SDK clients of each profile (built with
``from_profile``, so every private call goes through the profile's cross-process nonce
store and rate limiter) and the public market clients of each *environment* (profiles
that reach Kraken at the same URLs share them). :meth:`FleetSource.refresh`:

1. fetches, concurrently, each account's answers (Balance and Earn/Allocations on the
   Spot key; Futures accounts and open positions on the Futures key; open orders too for
   the exporter) and, once per environment, the static market data (Assets and
   AssetPairs per asset class, Futures instruments; kept for :data:`STATIC_TTL` seconds);
2. fetches the tickers once per environment -- only of the pairs that can value what the
   accounts hold (all pairs of a class when that would be many), and the Futures tickers
   when a position needs a mark price;
3. builds the :class:`~kraken_ops.observe.portfolio.Report`.

A section that fails is recorded (the rest of the account is still shown); a profile
without a key for a market skips that market's sections.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Iterable

from kraken_ops.observe.portfolio import AccountAnswers, FuturesMarket, Report, build_report
from kraken_ops.observe.valuation import MarketBook

#: Kraken's asset classes for Assets (``aclass``), AssetPairs (``aclass_base``) and Ticker
#: (``asset_class``). A class Kraken refuses as an invalid argument is left out.
SPOT_CLASSES = ("currency", "tokenized_asset", "forex")
#: Seconds the Assets, AssetPairs and Futures instruments answers are kept.
STATIC_TTL = 3600.0
#: Above this many pairs of one class, the Ticker of the whole class is fetched instead.
MAX_NAMED_PAIRS = 100
#: The ``profile`` label of public market-data requests (profile names cannot contain parentheses).
PUBLIC = "(public)"

#: ``observer_for(profile_label)`` -> an SDK request observer (``None``: no observer)
ObserverFactory = Callable[[str], Any]


@dataclass
class Environment:
    """One Kraken environment (Spot and Futures URLs), its public clients and static data."""

    key: tuple[str, str]
    spot_market: Any
    futures_market: Any
    assets: dict[str, dict[str, Any]] = field(default_factory=dict)  # class -> Assets answer
    pairs: dict[str, dict[str, Any]] = field(default_factory=dict)  # class -> AssetPairs answer
    instruments: Any = None
    fetched_at: float = 0.0
    refused_classes: set[str] = field(default_factory=set)

    def book(self) -> MarketBook:
        assets: dict[str, Any] = {}
        pairs: dict[str, Any] = {}
        classes: dict[str, str] = {}
        for cls in SPOT_CLASSES:
            for k, v in (self.assets.get(cls) or {}).items():
                assets.setdefault(k, v)
            for k, v in (self.pairs.get(cls) or {}).items():
                if k not in pairs:
                    pairs[k] = v
                    classes[k] = cls
        return MarketBook(assets, pairs, pair_classes=classes)


@dataclass
class ProfileClients:
    """The async SDK clients one profile's keys allow, and the sections it skips."""

    name: str  # the label in reports and metrics
    environment: Environment | None
    user: Any = None  # spot.AsyncUser
    earn: Any = None  # spot.AsyncEarn
    futures: Any = None  # futures.AsyncUser
    skipped: dict[str, str] = field(default_factory=dict)
    error: BaseException | None = None  # the profile could not be opened at all

    def limiters(self) -> dict[str, Any]:
        """``market -> limiter`` of this profile's clients (for the rate-limit gauges)."""
        out = {}
        for market, client in (("spot", self.user), ("futures", self.futures)):
            limiter = getattr(client, "rate_limiter", None) if client is not None else None
            if limiter is not None:
                out[market] = limiter
        return out


@dataclass
class Snapshot:
    """The result of one refresh."""

    report: Report
    answers: list[AccountAnswers]
    started: float
    finished: float


def _client(spec: str, name: str | None, *, public: bool = False, **overrides: Any) -> Any:
    from kraken_ops.cli.clients import client_class

    cls = client_class(spec, asynchronous=True)
    return cls.from_profile(name, public=public, **{k: v for k, v in overrides.items() if v is not None})


class FleetSource:
    """Portfolio answers of several profiles, refreshed on demand (see the module doc).

    >>> source = FleetSource(["bot1", "bot2"], "USD")  # doctest: +SKIP
    >>> report = asyncio.run(source.once()).report     # doctest: +SKIP
    """

    def __init__(
        self,
        names: Iterable[str | None],
        currency: str = "USD",
        *,
        timeout: float | None = None,
        with_orders: bool = False,
        observer_for: ObserverFactory | None = None,
        static_ttl: float = STATIC_TTL,
    ) -> None:
        self.names = list(names)
        self.currency = currency
        self.timeout = timeout
        self.with_orders = with_orders
        self.observer_for = observer_for
        self.static_ttl = static_ttl
        self.environments: dict[tuple[str, str], Environment] = {}
        self.clients: list[ProfileClients] = []
        self._opened = False

    # --- clients ------------------------------------------------------------------
    def _observer(self, label: str) -> Any:
        return self.observer_for(label) if self.observer_for is not None else None

    def open(self) -> None:
        """Build every profile's clients (no request is sent).

        With no profile named, none chosen by default and no environment keys, the
        profile error is raised at once (there is nothing to show).
        """
        if self._opened:
            return
        from kraken_ops import profiles
        from kraken_ops.profiles.secrets import environment_credentials

        if None in self.names and profiles.resolve_name(None) is None and environment_credentials() is None:
            profiles.get_profile(None)  # raises: no profile chosen, with the known ones
        self._opened = True
        for name in self.names:
            self.clients.append(self._open_one(name))

    def _open_one(self, name: str | None) -> ProfileClients:
        from kraken_ops import profiles

        label = name or profiles.resolve_name(None) or "environment"
        try:
            profile = profiles.get_profile(name) if (name or profiles.resolve_name(None)) else None
            env = self._environment(profile, name)
            pc = ProfileClients(label, env)
            observer = self._observer(label)
            has_spot = profile.spot_key if profile is not None else True  # environment keys are Spot keys
            has_futures = bool(profile is not None and profile.futures_key)
            if has_spot:
                pc.user = _client("spot.User", name, observer=observer, timeout=self.timeout)
                pc.earn = _client("spot.Earn", name, observer=observer, timeout=self.timeout)
            else:
                pc.skipped["spot"] = "the profile has no Spot key"
            if has_futures:
                pc.futures = _client("futures.User", name, observer=observer, timeout=self.timeout)
            else:
                pc.skipped["futures"] = "the profile has no Futures key"
            return pc
        except Exception as exc:  # unknown profile, secret that cannot be read, ...
            return ProfileClients(label, None, error=exc)

    def _environment(self, profile: Any, name: str | None) -> Environment:
        def url(market: str) -> str:
            if profile is None:
                from kraken_ops.profiles import PRODUCTION_URLS

                return PRODUCTION_URLS[market]
            try:
                return profile.url_for(market)
            except Exception:  # a Spot sandbox does not exist
                return ""

        key = (url("spot"), url("futures"))
        env = self.environments.get(key)
        if env is None:
            observer = self._observer(PUBLIC)
            spot = _client("spot.Market", name, public=True, observer=observer, timeout=self.timeout) if key[0] else None
            futures = _client("futures.Market", name, public=True, observer=observer, timeout=self.timeout) if key[1] else None
            env = self.environments[key] = Environment(key, spot, futures)
        return env

    def limiters(self) -> dict[tuple[str, str], Any]:
        """``(profile, market) -> limiter`` of every profile's clients."""
        self.open()
        return {(pc.name, market): limiter for pc in self.clients for market, limiter in pc.limiters().items()}

    async def close(self) -> None:
        """Close every client's HTTP session."""
        clients: list[Any] = []
        for pc in self.clients:
            clients += [pc.user, pc.earn, pc.futures]
        for env in self.environments.values():
            clients += [env.spot_market, env.futures_market]
        for client in clients:
            if client is not None:
                try:
                    await client.close()
                except Exception:
                    pass

    # --- one refresh ----------------------------------------------------------------
    async def once(self) -> Snapshot:
        """One refresh, then close the clients (``kraken-ops portfolio`` without ``--live``)."""
        try:
            return await self.refresh()
        finally:
            await self.close()

    async def refresh(self) -> Snapshot:
        """Fetch every account and the market data, and value them (see the module doc)."""
        self.open()
        started = time.time()
        market_errors: dict[tuple[str, str], BaseException] = {}
        answers = [AccountAnswers(pc.name) for pc in self.clients]

        async def static(env: Environment) -> None:
            try:
                await self._static(env)
            except Exception as exc:
                market_errors[env.key] = exc

        await asyncio.gather(
            *(static(env) for env in self.environments.values()),
            *(self._account(pc, a) for pc, a in zip(self.clients, answers)),
        )
        self._check_currency(market_errors)
        books: dict[tuple[str, str], tuple[MarketBook, FuturesMarket | None]] = {}

        async def prices(env: Environment) -> None:
            if env.key in market_errors:
                books[env.key] = (MarketBook(), None)
                return
            mine = [a for pc, a in zip(self.clients, answers) if pc.environment is env]
            try:
                books[env.key] = await self._prices(env, mine)
            except Exception as exc:
                market_errors[env.key] = exc
                books[env.key] = (env.book(), None)

        await asyncio.gather(*(prices(env) for env in self.environments.values()))
        markets = {}
        errors_by_profile = {}
        for pc in self.clients:
            if pc.environment is not None:
                markets[pc.name] = books.get(pc.environment.key, (MarketBook(), None))
                if pc.environment.key in market_errors:
                    errors_by_profile[pc.name] = market_errors[pc.environment.key]
        report = build_report(answers, markets, self.currency, at=started, market_errors=errors_by_profile)
        return Snapshot(report, answers, started, time.time())

    def _check_currency(self, market_errors: dict[tuple[str, str], BaseException]) -> None:
        from kraken_ops.cli.errors import UsageProblem

        for env in self.environments.values():
            if env.key in market_errors or not env.assets:
                continue
            if env.book().asset_id(self.currency) is None:
                raise UsageProblem(
                    f"--in {self.currency}: Kraken lists no such asset",
                    hint="use an asset name such as USD, EUR, XBT or ETH (list them with: kraken-ops market assets)",
                )

    async def _account(self, pc: ProfileClients, answers: AccountAnswers) -> None:
        for market, why in pc.skipped.items():
            for section in _SECTIONS[market][: 3 if self.with_orders else 2]:
                answers.skipped[section] = why
        if pc.error is not None:
            answers.errors["profile"] = pc.error
            return

        async def section(name: str, call: Callable[[], Awaitable[Any]], pick: Callable[[Any], Any] = lambda r: r) -> None:
            try:
                setattr(answers, name, pick(await call()))
            except Exception as exc:
                answers.errors[name] = exc

        async def spot() -> None:
            await section("balance", pc.user.get_account_balance)
            await section("earn", lambda: pc.earn.list_earn_allocations(hide_zero_allocations=True))
            if self.with_orders:
                await section("spot_open_orders", pc.user.get_open_orders)

        async def futures() -> None:
            await section("futures_accounts", pc.futures.get_wallets, lambda r: r.get("accounts") or {})
            await section("futures_positions", pc.futures.get_open_positions, lambda r: r.get("openPositions") or [])
            if self.with_orders:
                await section("futures_open_orders", pc.futures.get_open_orders, lambda r: r.get("openOrders") or [])

        await asyncio.gather(*([spot()] if pc.user is not None else []), *([futures()] if pc.futures is not None else []))

    async def _static(self, env: Environment) -> None:
        """Assets and AssetPairs per class and the Futures instruments, when older than the TTL."""
        if env.fetched_at and time.time() - env.fetched_at < self.static_ttl:
            return
        from kraken_ops.cli.errors import category_of

        assets: dict[str, Any] = {}
        pairs: dict[str, Any] = {}
        refused: set[str] = set()

        async def one_class(cls: str) -> None:
            aclass = None if cls == "currency" else cls
            try:
                assets[cls] = await env.spot_market.get_assets(aclass=aclass)
                pairs[cls] = await env.spot_market.get_asset_pairs(aclass_base=aclass)
            except Exception as exc:
                if cls != "currency" and category_of(exc) == "validation":
                    refused.add(cls)  # this Kraken does not know the class
                    return
                raise

        jobs = [one_class(cls) for cls in SPOT_CLASSES] if env.spot_market is not None else []
        instruments: dict[str, Any] = {}

        async def futures_instruments() -> None:
            instruments["answer"] = await env.futures_market.get_instruments()

        if env.futures_market is not None and any(pc.futures is not None for pc in self.clients if pc.environment is env):
            jobs.append(futures_instruments())
        await asyncio.gather(*jobs)
        env.assets, env.pairs, env.refused_classes = assets, pairs, refused
        env.instruments = instruments.get("answer")
        env.fetched_at = time.time()

    async def _prices(self, env: Environment, answers: list[AccountAnswers]) -> tuple[MarketBook, FuturesMarket | None]:
        """The tickers of the pairs the accounts' holdings need, and the Futures tickers for positions."""
        book = env.book()
        names: set[str] = set()
        for a in answers:
            names |= set((a.balance or {}).keys())
            names |= {str(i.get("native_asset")) for i in (a.earn or {}).get("items") or [] if isinstance(i, dict)}
            for info in (a.futures_accounts or {}).values():
                if isinstance(info, dict):
                    names |= set((info.get("currencies") or {}).keys()) | set((info.get("balances") or {}).keys())
            names |= {str(p.get("pnlCurrency")) for p in a.futures_positions or [] if isinstance(p, dict) and p.get("pnlCurrency")}
        need_futures = any(a.futures_positions for a in answers)
        futures = FuturesMarket.from_answers(None, env.instruments) if env.instruments is not None else FuturesMarket()
        if need_futures:
            from kraken_ops.observe.portfolio import instrument_currencies

            for a in answers:
                for p in a.futures_positions or []:
                    symbol = str(p.get("symbol") or "")
                    names |= {c for c in instrument_currencies(symbol, futures.instruments.get(symbol.upper())) if c}
        wanted = book.needed_pairs(names, self.currency)
        by_class: dict[str, list[str]] = {}
        for key in sorted(wanted):
            by_class.setdefault(book.pairs[key].aclass, []).append(key)
        tickers: dict[str, Any] = {}

        async def class_tickers(cls: str, keys: list[str]) -> None:
            from kraken_ops.cli.errors import category_of

            aclass = None if cls == "currency" else cls
            pair = keys if len(keys) <= MAX_NAMED_PAIRS else None
            try:
                tickers.update(await env.spot_market.get_ticker(pair=pair, asset_class=aclass))
            except Exception as exc:
                if pair is None or category_of(exc) != "validation":
                    raise
                # one pair Kraken no longer answers for (delisted since AssetPairs was read): the whole class
                tickers.update(await env.spot_market.get_ticker(asset_class=aclass))

        jobs = [class_tickers(cls, keys) for cls, keys in by_class.items()]
        answer: dict[str, Any] = {}

        async def futures_tickers() -> None:
            answer["tickers"] = await env.futures_market.get_tickers()

        if need_futures and env.futures_market is not None:
            jobs.append(futures_tickers())
        await asyncio.gather(*jobs)
        book.add_tickers(tickers)
        if "tickers" in answer:
            futures = FuturesMarket.from_answers(answer["tickers"], env.instruments)
        return book, futures


#: The sections of each market (skipped together when the profile has no key for it).
_SECTIONS = {
    "spot": ("balance", "earn", "spot_open_orders"),
    "futures": ("futures_accounts", "futures_positions", "futures_open_orders"),
}


__all__ = ["FleetSource", "Snapshot", "ProfileClients", "Environment", "PUBLIC", "SPOT_CLASSES", "STATIC_TTL"]
