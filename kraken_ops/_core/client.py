"""The two executors behind every client, and the protocol of each market.

A client class is ``<Endpoints mixin>, <Market protocol>, <Executor>``:

* the **endpoint mixin** (``kraken_ops.spot.user._UserEndpoints`` ...) defines each
  endpoint once as a method returning ``self._call(Call(...))``;
* the **market protocol** (:class:`SpotProtocol`, :class:`FuturesProtocol`) knows
  how Kraken wants that request built, signed and answered;
* the **executor** (:class:`SyncExecutor`, :class:`AsyncExecutor`) sends it with
  ``requests`` or ``aiohttp``. The sync ``_call`` returns the result, the async
  ``_call`` returns a coroutine.

A client may carry an *observer* (``observer=`` on the constructor): a function called
with a :class:`RequestEvent` after every request, whatever its outcome. It is how
``kraken-ops metrics serve`` measures request latencies and errors without a copy of
the transport.
"""

from __future__ import annotations

import contextlib
import os
import random
import time
from dataclasses import dataclass
from typing import Any

from kraken_ops import __version__
from kraken_ops._core import ratelimit
from kraken_ops._core.call import Call, form_encode, json_encode, merge_extra, parse_json
from kraken_ops._core.nonce import NonceSource, nonce_for_key
from kraken_ops._core.otp import OtpSource, call_otp, check_source, current
from kraken_ops._core.outcome import unresolved
from kraken_ops.exceptions import (
    FUTURES_OK_STATUSES,
    KrakenApiLimitExceededError,
    KrakenAuthRequiredError,
    KrakenConfigError,
    KrakenInvalidNonceError,
    KrakenNetworkError,
    KrakenNonceOvertakenError,
    KrakenThrottledError,
    KrakenTimeoutError,
    KrakenUnexpectedResponseError,
    futures_error_class,
    raise_spot_errors,
)

USER_AGENT = f"kraken-ops/{__version__}"
PUBLIC_RETRIES = 3  # attempts for public GETs on connection errors and 5xx
BACKOFF_BASE = 0.2  # seconds; doubled per attempt, with jitter


@dataclass(frozen=True, slots=True)
class RequestEvent:
    """One finished request, as an observer sees it.

    ``seconds`` runs from sending to the parsed answer (retries of public GETs
    included, the client-side rate limiter's wait excluded); ``error`` is the
    exception the request raised, or ``None``.
    """

    market: str  # "spot" or "futures"
    method: str
    path: str  # the URL path without host and query, e.g. "/0/private/Balance"
    auth: bool
    seconds: float
    error: BaseException | None = None


@dataclass(slots=True)
class Prepared:
    """A request ready for the wire."""

    method: str
    url: str
    headers: dict[str, str]
    body: bytes | None
    retry: bool  # safe to retry (public GET only)
    cost: int


class _Protocol:
    """What every client has: credentials, URL, nonce source, limiter, timeout."""

    URL: str = ""
    TIMEOUT: float = 10
    _market: str = ""

    def __init__(
        self,
        key: str = "",
        secret: str = "",
        url: str = "",
        proxy: str | None = None,
        *,
        use_custom_exceptions: bool = True,
        timeout: float | None = None,
        nonce_source: NonceSource | None = None,
        rate_limit: bool = True,
        tier: str = "starter",
        rate_limiter: ratelimit.CallCounter | Any = None,
        user_agent: str | None = None,
        profile: str | None = None,
        observer: Any = None,
        otp: OtpSource | None = None,
    ) -> None:
        if otp is not None and self._market != "spot":
            raise KrakenConfigError("Kraken Futures API keys have no two-factor authentication: otp= is for Spot clients only")
        self._key = key or ""
        self.__secret = secret or ""
        self.__otp = check_source(otp)
        self.url = (url or self.URL).rstrip("/")
        self.proxy = proxy
        self.use_custom_exceptions = use_custom_exceptions
        if timeout is not None:
            self.TIMEOUT = timeout
        self._nonce = nonce_source if nonce_source is not None else (nonce_for_key(f"{self._market}:{key}") if key else None)
        # rate_limiter: an object with acquire(cost) -> seconds and release(cost) (see _core/ratelimit.py;
        # profiles pass a cross-process one), or an older one with reserve(cost) -> seconds
        if not (rate_limit and key):
            self._limiter = None
        else:
            self._limiter = rate_limiter if rate_limiter is not None else ratelimit.counter_for(self._market, key, tier)
        self._user_agent = user_agent or USER_AGENT
        self._session: Any = None
        self.profile = profile  # the kraken-ops profile the client was built from (for messages)
        #: called with a :class:`RequestEvent` after every request (``None``: nobody listens)
        self.observer = observer

    def __repr__(self) -> str:  # never show the secret
        return f"{type(self).__name__}(url={self.url!r}, key={'<set>' if self._key else '<none>'})"

    @property
    def _secret(self) -> str:
        return self.__secret

    @property
    def _otp(self) -> OtpSource | None:
        """The client's otp (a string or a callable), sent with every private Spot request."""
        return self.__otp

    @classmethod
    def from_profile(cls, name: str | None = None, *, public: bool = False, **overrides: Any) -> Any:
        """Build a client from a kraken-ops profile (keyring secret, shared nonce store).

        ``public=True`` takes only the profile's URL (no key or secret is looked up), for
        clients that call public endpoints only.
        """
        from kraken_ops.profiles import client_kwargs

        kwargs = client_kwargs(name, market=cls._market, public=public)
        kwargs.update(overrides)
        return cls(**kwargs)

    def get_nonce(self) -> str:
        """Return a new nonce for this client's key."""
        if self._nonce is None:
            self._nonce = nonce_for_key(f"{self._market}:{self._key}")
        return self._nonce.next()

    @property
    def return_unique_id(self) -> str:
        import uuid

        return str(uuid.uuid4())

    def _require_auth(self) -> None:
        if not self._key or not self.__secret:
            raise KrakenAuthRequiredError("this endpoint needs an API key and secret (key= and secret=, or a profile)")

    @property
    def rate_limiter(self) -> Any:
        """The client-side rate limiter of this client's key (``None`` when off or without a key).

        Its ``level`` is the counter's current value and ``maximum`` its limit.
        """
        return self._limiter

    def _observe(self, call: Call, started: float, error: BaseException | None) -> None:
        """Tell the observer (if any) about a finished request; an observer's failure is ignored."""
        observer = self.observer
        if observer is None:
            return
        path = self._url(call.path).split("://", 1)[-1]
        path = "/" + path.split("/", 1)[1].split("?", 1)[0] if "/" in path else "/"
        try:
            observer(RequestEvent(self._market, call.method.upper(), path, call.auth, time.perf_counter() - started, error))
        except Exception:
            pass

    # --- rate limit -------------------------------------------------------------------
    def _limit_cost(self, call: Call) -> float:
        if self._limiter is None or not call.auth:
            return 0.0
        return call.cost if call.cost is not None else self._cost(call.path)

    def _limit_wait(self, cost: float, ticket: dict[str, Any]) -> float:
        """Seconds to wait before the call may be sent (0.0: it is booked as in flight).

        Called until it returns 0.0; announces a wait of more than a second once per call.
        """
        if cost <= 0:
            return 0.0
        limiter = self._limiter
        if hasattr(limiter, "acquire"):
            wait = float(limiter.acquire(cost))
        elif ticket.get("reserved"):  # an older limiter: reserve(cost) books at once and returns the wait
            return 0.0
        else:
            ticket["reserved"] = True
            wait = float(limiter.reserve(cost))
        if wait > 1.0 and not ticket.get("announced"):
            ticket["announced"] = True
            from kraken_ops._core.notice import notify

            who = f"profile {self.profile}" if self.profile else f"{self._market} API key"
            notify(f"waiting {wait:.1f} s for Kraken's rate limit ({who})")
        return wait

    def _limit_release(self, cost: float, ticket: dict[str, Any], exc: BaseException | None = None) -> None:
        if cost <= 0 or self._limiter is None:
            return
        release = getattr(self._limiter, "release", None)
        if release is not None and not ticket.get("reserved"):
            release(cost)
        if isinstance(exc, KrakenApiLimitExceededError) and not isinstance(exc, KrakenThrottledError):
            saturate = getattr(self._limiter, "saturate", None)
            if saturate is not None:
                saturate()

    # --- answers -------------------------------------------------------------------------
    def _answer(self, call: Call, status: int, content_type: str, raw: bytes, url: str, nonce_retried: bool) -> Any:
        """Parse an answer; raise :class:`_RetryNonce` when a refused nonce is worth one more try.

        A key whose requests kraken-ops serialises across processes (a profile without a
        nonce window) can only get ``EAPI:Invalid nonce`` because another program used the
        key. Kraken refused the request before doing anything, so it is sent once more
        with a fresh nonce; refused again, the other program's nonces are larger than
        ours, which no retry fixes: the error says so and is not retryable.
        """
        try:
            return self._parse(call, status, content_type, raw, url)
        except KrakenInvalidNonceError as exc:
            if not (call.auth and getattr(self._nonce, "serialised", False)):
                raise
            if not nonce_retried:
                raise _RetryNonce from None
            raise persistent_nonce_error(exc) from None

    def _cost(self, path: str) -> int:
        return 1

    # --- implemented by the market protocols ---
    def _prepare(self, call: Call) -> Prepared:
        raise NotImplementedError

    def _parse(self, call: Call, status: int, content_type: str, raw: bytes, url: str) -> Any:
        raise NotImplementedError

    def _url(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            return path
        return self.url + (path if path.startswith("/") else "/" + path)

    @staticmethod
    def _decode(status: int, raw: bytes, url: str) -> Any:
        try:
            return parse_json(raw)
        except (ValueError, UnicodeDecodeError):
            text = raw[:200].decode("utf-8", "replace")
            raise KrakenUnexpectedResponseError(status, text, url=url.split("?", 1)[0]) from None


class SpotProtocol(_Protocol):
    """Kraken Spot REST: ``/0/public`` GETs and signed ``/0/private`` POSTs."""

    URL = "https://api.kraken.com"
    _market = "spot"

    def _cost(self, path: str) -> int:
        return ratelimit.spot_cost(path)

    def _prepare(self, call: Call) -> Prepared:
        data = merge_extra(call.params, call.extra_params)
        method = call.method.upper()
        url = self._url(call.path)
        path = "/" + url.split("://", 1)[-1].split("/", 1)[-1].split("?", 1)[0] if "://" in url else call.path
        headers = {"User-Agent": self._user_agent, **call.headers}
        body: bytes | None = None
        query = ""
        if call.auth:
            self._require_auth()
            # otp (keys with 2FA): the call's otp=, else an "otp" of extra_params, else the client's
            if call.otp is not None or "otp" not in data:
                otp = current(call.otp if call.otp is not None else self._otp)
                if otp is not None:
                    data["otp"] = otp
            data["nonce"] = self.get_nonce()
            text = json_encode(data) if call.do_json else form_encode(data)
            body = text.encode()
            headers["Content-Type"] = "application/json" if call.do_json else "application/x-www-form-urlencoded"
            from kraken_ops._core.signing import sign_spot

            headers["API-Key"] = self._key
            headers["API-Sign"] = sign_spot(self._secret, path, data["nonce"], body)
        elif method in ("GET", "DELETE"):
            query = form_encode(data)
        else:
            text = json_encode(data) if call.do_json else form_encode(data)
            body = text.encode()
            headers["Content-Type"] = "application/json" if call.do_json else "application/x-www-form-urlencoded"
        extra_query = "&".join(q for q in (query, call.query_str) if q)
        if extra_query:
            url += ("&" if "?" in url else "?") + extra_query
        return Prepared(method, url, headers, body, retry=(not call.auth and method == "GET"), cost=0)

    def _parse(self, call: Call, status: int, content_type: str, raw: bytes, url: str) -> Any:
        data = self._decode(status, raw, url)
        if not isinstance(data, dict) or ("error" not in data and "result" not in data):
            raise KrakenUnexpectedResponseError(status, raw[:200].decode("utf-8", "replace"), url=url.split("?", 1)[0])
        errors = data.get("error") or []
        if errors and self.use_custom_exceptions:
            raise_spot_errors([str(e) for e in errors], response=data)
        if status >= 500 and "result" not in data:
            raise KrakenUnexpectedResponseError(status, raw[:200].decode("utf-8", "replace"), url=url.split("?", 1)[0])
        return data["result"] if "result" in data and not (errors and not self.use_custom_exceptions) else data


class FuturesProtocol(_Protocol):
    """Kraken Futures REST: ``/derivatives/api/v3``, history and charts, ``Authent`` signing."""

    URL = "https://futures.kraken.com"
    SANDBOX_URL = "https://demo-futures.kraken.com"
    _market = "futures"

    def __init__(self, key: str = "", secret: str = "", url: str = "", proxy: str | None = None, *, sandbox: bool = False, **kwargs: Any) -> None:
        if not url and sandbox:
            url = self.SANDBOX_URL
        self.sandbox = sandbox
        super().__init__(key, secret, url, proxy, **kwargs)

    def _cost(self, path: str) -> int:
        return ratelimit.futures_cost(path)

    def _prepare(self, call: Call) -> Prepared:
        method = call.method.upper()
        post = merge_extra(call.params, call.extra_params)
        query_params = dict(call.query or {})
        if method in ("GET", "DELETE", "PUT") and post:
            query_params.update(post)
            post = {}
        query = form_encode(query_params, join_lists=False)
        body_text = form_encode(post, join_lists=False) if post else ""
        url = self._url(call.path)
        path = "/" + url.split("://", 1)[-1].split("/", 1)[-1].split("?", 1)[0]
        headers = {"User-Agent": self._user_agent, **call.headers}
        if call.auth:
            self._require_auth()
            nonce = self.get_nonce()
            from kraken_ops._core.signing import sign_futures

            headers["APIKey"] = self._key
            headers["Nonce"] = nonce
            headers["Authent"] = sign_futures(self._secret, path, nonce, query + body_text)
        if body_text or method == "POST":
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        extra_query = "&".join(q for q in (query, call.query_str) if q)
        if extra_query:
            url += ("&" if "?" in url else "?") + extra_query
        return Prepared(method, url, headers, body_text.encode() if body_text else None, retry=(not call.auth and method == "GET"), cost=0)

    def _parse(self, call: Call, status: int, content_type: str, raw: bytes, url: str) -> Any:
        if "json" not in content_type and not raw.lstrip()[:1] in (b"{", b"["):
            if status == 200 and call.return_raw:
                return raw
            raise KrakenUnexpectedResponseError(status, raw[:200].decode("utf-8", "replace"), url=url.split("?", 1)[0])
        data = self._decode(status, raw, url)
        if self.use_custom_exceptions:
            check_futures_envelope(data, status, raw, url)
        return data


def check_futures_envelope(data: Any, status: int = 200, raw: bytes = b"", url: str = "") -> None:
    """Raise for a Futures error envelope or an order outcome that means failure."""
    if not isinstance(data, dict):
        if status >= 400:
            raise KrakenUnexpectedResponseError(status, raw[:200].decode("utf-8", "replace"), url=url.split("?", 1)[0])
        return
    error = data.get("error")
    if error is None and data.get("errors"):
        first = data["errors"][0]
        error = first.get("message") if isinstance(first, dict) else str(first)
    if error is not None or data.get("result") == "error":
        error = str(error or "unknownError")
        raise futures_error_class(error)(error, kraken_error=error, response=data)
    for key in ("sendStatus", "editStatus", "cancelStatus"):
        outcome = data.get(key)
        if isinstance(outcome, dict):
            _check_status(outcome.get("status"), data)
    for item in data.get("batchStatus") or []:
        if isinstance(item, dict):
            _check_status(item.get("status"), data)
    if status >= 400:
        raise KrakenUnexpectedResponseError(status, raw[:200].decode("utf-8", "replace"), url=url.split("?", 1)[0])


def _check_status(status: Any, data: dict[str, Any]) -> None:
    if status is None or status in FUTURES_OK_STATUSES:
        return
    text = str(status)
    raise futures_error_class(text)(f"order rejected: {text}", kraken_error=text, response=data)


def _backoff(attempt: int) -> float:
    return BACKOFF_BASE * (2**attempt) * (0.5 + random.random())


class _RetryNonce(Exception):
    """Internal: send the request again with a fresh nonce."""


def persistent_nonce_error(exc: KrakenInvalidNonceError) -> KrakenInvalidNonceError:
    """The error for a nonce Kraken refused twice in a row: not retryable, and it says what to do."""
    return KrakenNonceOvertakenError(kraken_error=exc.kraken_error, response=exc.response)


def _requests_failure(exc: BaseException, where: str, timeout: float) -> KrakenNetworkError:
    """The kraken-ops error for a ``requests`` failure; ``maybe_sent`` says whether Kraken may have the request."""
    import requests

    if isinstance(exc, requests.ConnectTimeout):
        error: KrakenNetworkError = KrakenTimeoutError(f"connecting to {where} timed out after {timeout}s")
        error.maybe_sent = False  # type: ignore[attr-defined]
    elif isinstance(exc, requests.Timeout):
        error = KrakenTimeoutError(f"request to {where} timed out after {timeout}s")
        error.maybe_sent = True  # type: ignore[attr-defined]
    else:
        error = KrakenNetworkError(f"cannot reach {where}: {_failure_name(exc)}")
        error.maybe_sent = not _connect_failure(exc)  # type: ignore[attr-defined]
    return error


def _connect_failure(exc: BaseException) -> bool:
    """Whether ``exc`` (a requests/urllib3 error) happened before anything was sent."""
    try:
        from urllib3.exceptions import NewConnectionError
    except ImportError:  # pragma: no cover
        return False
    seen: set[int] = set()
    todo: list[Any] = [exc]
    while todo:
        item = todo.pop()
        if item is None or id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, (NewConnectionError, ConnectionRefusedError)):
            return True
        todo.extend([getattr(item, "reason", None), item.__cause__, item.__context__, *[a for a in getattr(item, "args", ()) if isinstance(a, BaseException)]])
    return False


def _failure_name(exc: BaseException) -> str:
    """``ConnectionError (RemoteDisconnected)``: the error and, when there is one, its innermost cause."""
    inner: BaseException | None = exc
    seen: set[int] = set()
    while inner is not None and id(inner) not in seen:
        seen.add(id(inner))
        nested = getattr(inner, "reason", None) or next((a for a in getattr(inner, "args", ()) if isinstance(a, BaseException)), None)
        if nested is None:
            break
        inner = nested
    name = type(exc).__name__
    return f"{name} ({type(inner).__name__})" if inner is not None and inner is not exc else name


def _stamp(call: Call) -> Call:
    """Give ``call`` the ``otp=`` of the endpoint method that is building it (see _core/otp.py)."""
    if call.otp is None:
        call.otp = call_otp()
    return call


def _next(call: Call, following: Call) -> Call:
    """The next Call of a chain inherits the otp of the one before."""
    if following.otp is None:
        following.otp = call.otp
    return following


class SyncExecutor:
    """Sends calls with one ``requests.Session`` per client."""

    _session: Any

    def _call(self, call: Call) -> Any:
        _stamp(call)
        while True:
            try:
                result = self._send(call)
            except Exception as exc:
                if call.on_error is None:
                    raise unresolved(self._market, call, exc, self.profile)  # type: ignore[attr-defined]
                result = call.on_error(exc)
                if isinstance(result, Call):
                    call = _next(call, result)
                    continue
                return result
            if call.then is None:
                return result
            result = call.then(result)
            if not isinstance(result, Call):
                return result
            call = _next(call, result)

    def _get_session(self) -> Any:
        if self._session is None:
            import requests

            session = requests.Session()
            # Read the environment (HTTP(S)_PROXY, NO_PROXY, REQUESTS_CA_BUNDLE) once here
            # instead of on every request: requests re-reads it per call with trust_env,
            # which was a quarter of the time of a signed request on loopback.
            session.trust_env = False
            if self.proxy:  # type: ignore[attr-defined]
                session.proxies = {"http": self.proxy, "https": self.proxy}  # type: ignore[attr-defined]
            else:
                session.proxies = requests.utils.get_environ_proxies(self.url)  # type: ignore[attr-defined]
            bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
            if bundle:
                session.verify = bundle
            self._session = session
        return self._session

    def _send(self, call: Call) -> Any:
        if call.delay > 0:
            time.sleep(call.delay)
        cost = self._limit_cost(call)  # type: ignore[attr-defined]
        ticket: dict[str, Any] = {}
        while (wait := self._limit_wait(cost, ticket)) > 0:  # type: ignore[attr-defined]
            time.sleep(wait)
        failure: BaseException | None = None
        started = time.perf_counter()
        try:
            return self._send_booked(call)
        except BaseException as exc:
            failure = exc
            raise
        finally:
            self._limit_release(cost, ticket, failure)  # type: ignore[attr-defined]
            if self.observer is not None:  # type: ignore[attr-defined]
                self._observe(call, started, failure)  # type: ignore[attr-defined]

    def _send_booked(self, call: Call) -> Any:
        import requests

        session = self._get_session()
        timeout = call.timeout or self.TIMEOUT  # type: ignore[attr-defined]
        nonce = self._nonce if call.auth else None  # type: ignore[attr-defined]
        attempt = 0
        nonce_retried = False
        while True:
            try:
                with nonce.in_flight() if nonce is not None else contextlib.nullcontext():
                    prepared = self._prepare(call)  # type: ignore[attr-defined]
                    response = _send_prepared(session, prepared, timeout, call.return_raw)
                    if call.return_raw and response.status_code == 200 and "json" not in response.headers.get("Content-Type", ""):
                        return response
                    raw = response.content
            except requests.RequestException as exc:
                if prepared_retry(call) and attempt + 1 < PUBLIC_RETRIES:
                    attempt += 1
                    time.sleep(_backoff(attempt))
                    continue
                raise _requests_failure(exc, _where(self, call), timeout) from exc
            if response.status_code >= 500 and prepared.retry and attempt + 1 < PUBLIC_RETRIES:
                attempt += 1
                time.sleep(_backoff(attempt))
                continue
            try:
                return self._answer(call, response.status_code, response.headers.get("Content-Type", ""), raw, prepared.url, nonce_retried)  # type: ignore[attr-defined]
            except _RetryNonce:
                nonce_retried = True

    def close(self) -> None:
        """Close the connection pool."""
        if self._session is not None:
            self._session.close()
            self._session = None

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncExecutor:
    """Sends calls with one ``aiohttp.ClientSession`` per client; ``_call`` returns a coroutine."""

    _session: Any

    def _call(self, call: Call) -> Any:
        return self._run(_stamp(call))  # stamped now: the coroutine runs after the method has returned

    async def _run(self, call: Call) -> Any:
        while True:
            try:
                result = await self._send(call)
            except Exception as exc:
                if call.on_error is None:
                    raise unresolved(self._market, call, exc, self.profile)  # type: ignore[attr-defined]
                result = call.on_error(exc)
                if isinstance(result, Call):
                    call = _next(call, result)
                    continue
                return result
            if call.then is None:
                return result
            result = call.then(result)
            if not isinstance(result, Call):
                return result
            call = _next(call, result)

    def _get_session(self) -> Any:
        if self._session is None or self._session.closed:
            import aiohttp

            self._session = aiohttp.ClientSession(headers={"User-Agent": self._user_agent})  # type: ignore[attr-defined]
        return self._session

    async def _send(self, call: Call) -> Any:
        import asyncio

        if call.delay > 0:
            await asyncio.sleep(call.delay)
        cost = self._limit_cost(call)  # type: ignore[attr-defined]
        ticket: dict[str, Any] = {}
        while (wait := self._limit_wait(cost, ticket)) > 0:  # type: ignore[attr-defined]
            await asyncio.sleep(wait)
        failure: BaseException | None = None
        started = time.perf_counter()
        try:
            return await self._send_booked(call)
        except BaseException as exc:
            failure = exc
            raise
        finally:
            self._limit_release(cost, ticket, failure)  # type: ignore[attr-defined]
            if self.observer is not None:  # type: ignore[attr-defined]
                self._observe(call, started, failure)  # type: ignore[attr-defined]

    async def _send_booked(self, call: Call) -> Any:
        import asyncio

        import aiohttp
        import yarl

        session = self._get_session()
        seconds = call.timeout or self.TIMEOUT  # type: ignore[attr-defined]
        timeout = aiohttp.ClientTimeout(total=seconds)
        nonce = self._nonce if call.auth else None  # type: ignore[attr-defined]
        attempt = 0
        nonce_retried = False
        while True:
            try:
                async with _async_in_flight(nonce):
                    prepared = self._prepare(call)  # type: ignore[attr-defined]
                    # encoded=True: send the query exactly as signed (yarl would re-quote %3A to ':')
                    response = await session.request(
                        prepared.method, yarl.URL(prepared.url, encoded=True), data=prepared.body, headers=prepared.headers, timeout=timeout, proxy=self.proxy  # type: ignore[attr-defined]
                    )
                    ctype = response.headers.get("Content-Type", "")
                    if call.return_raw and response.status == 200 and "json" not in ctype:
                        return response
                    raw = await response.read()
                    response.release()
            except (asyncio.TimeoutError, aiohttp.ClientError) as exc:
                if prepared_retry(call) and attempt + 1 < PUBLIC_RETRIES:
                    attempt += 1
                    await asyncio.sleep(_backoff(attempt))
                    continue
                raise _aiohttp_failure(exc, _where(self, call), seconds) from exc
            if response.status >= 500 and prepared.retry and attempt + 1 < PUBLIC_RETRIES:
                attempt += 1
                await asyncio.sleep(_backoff(attempt))
                continue
            try:
                return self._answer(call, response.status, ctype, raw, prepared.url, nonce_retried)  # type: ignore[attr-defined]
            except _RetryNonce:
                nonce_retried = True

    async def close(self) -> None:
        """Close the aiohttp session."""
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def async_close(self) -> None:
        """Alias of :meth:`close` (reference name)."""
        await self.close()

    async def __aenter__(self) -> Any:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


def _aiohttp_failure(exc: BaseException, where: str, seconds: float) -> KrakenNetworkError:
    """The kraken-ops error for an aiohttp failure; ``maybe_sent`` as in :func:`_requests_failure`."""
    import asyncio

    import aiohttp

    if isinstance(exc, asyncio.TimeoutError):
        error: KrakenNetworkError = KrakenTimeoutError(f"request to {where} timed out after {seconds}s")
        error.maybe_sent = True  # type: ignore[attr-defined]
        return error
    error = KrakenNetworkError(f"cannot reach {where}: {type(exc).__name__}")
    error.maybe_sent = not isinstance(exc, aiohttp.ClientConnectorError)  # type: ignore[attr-defined]
    return error


def _send_prepared(session: Any, prepared: Prepared, timeout: float, stream: bool) -> Any:
    """Send through the session's connection pool without requests' per-call merging.

    ``Session.request`` merges cookies, hooks, auth and environment settings on every
    call; none of them applies to Kraken's API (the environment was read once when the
    session was made), so the request is prepared and handed to the pool's adapter.
    """
    import requests

    request = requests.PreparedRequest()
    headers = dict(session.headers)  # Accept-Encoding: gzip, keep-alive, ...
    headers.update(prepared.headers)
    request.prepare(method=prepared.method, url=prepared.url, headers=headers, data=prepared.body)
    adapter = session.get_adapter(prepared.url)
    return adapter.send(request, stream=stream, timeout=timeout, verify=session.verify, proxies=session.proxies, cert=session.cert)


def prepared_retry(call: Call) -> bool:
    return not call.auth and call.method.upper() == "GET"


def _where(client: Any, call: Call) -> str:
    return client._url(call.path).split("?", 1)[0]


@contextlib.asynccontextmanager
async def _async_in_flight(nonce: Any):  # type: ignore[no-untyped-def]
    if nonce is None:
        yield
        return
    acm = getattr(nonce, "async_in_flight", None)
    if acm is not None:
        async with acm():
            yield
        return
    with nonce.in_flight():
        yield


__all__ = ["SpotProtocol", "FuturesProtocol", "SyncExecutor", "AsyncExecutor", "check_futures_envelope", "Prepared", "RequestEvent"]
