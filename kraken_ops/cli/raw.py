"""The raw commands: ``kraken spot|futures [OPTIONS] URL`` (and ``kraken-ops spot|futures URL``).

They reach any endpoint with python-kraken-sdk's options (``-X``, ``-d/--data``,
``-q/--query`` for Futures, ``--timeout``, ``--api-key``, ``--secret-key``), plus
``--profile``. The URL may be a full URL (``http://127.0.0.1:8787/0/public/Time``,
with a port or a query string) or a path (``/0/public/Time``), which goes to
``$KRAKEN_SPOT_URL`` / ``$KRAKEN_FUTURES_URL`` or Kraken's production API.

Credentials, in order: ``--api-key``/``--secret-key`` (the secret on argv still
works but warns: it is visible to every process on the machine), then
``KRAKEN_API_KEY``/``KRAKEN_SECRET_KEY`` (spot) or
``KRAKEN_FUTURES_API_KEY``/``KRAKEN_FUTURES_SECRET_KEY`` (futures), then
``--profile`` (keyring secret, shared nonce store).

Exit codes: 0 success, 1 Kraken rejected the request, 2 usage error (bad URL,
malformed JSON), 3 configuration error, 4 network or timeout.
"""

from __future__ import annotations

import json
import os
import sys
from decimal import Decimal
from typing import Any, Optional
from urllib.parse import urlsplit

import typer

from kraken_ops import __version__

DEFAULT_URLS = {"spot": "https://api.kraken.com", "futures": "https://futures.kraken.com"}
URL_ENV = {"spot": "KRAKEN_SPOT_URL", "futures": "KRAKEN_FUTURES_URL"}
KEY_ENV = {"spot": ("KRAKEN_API_KEY", "KRAKEN_SECRET_KEY"), "futures": ("KRAKEN_FUTURES_API_KEY", "KRAKEN_FUTURES_SECRET_KEY")}
METHODS = ("GET", "POST", "PUT", "DELETE")


class UsageError(Exception):
    """Bad input on the command line (exit 2)."""


def split_url(market: str, url: str) -> tuple[str, str, str | None]:
    """Return (base URL, path, raw query string) for a full URL or a path."""
    if url.startswith(("http://", "https://")):
        parts = urlsplit(url)
        if not parts.netloc:
            raise UsageError(f"not a URL: {url}")
        return f"{parts.scheme}://{parts.netloc}", parts.path or "/", parts.query or None
    if not url.startswith("/"):
        raise UsageError(f"URL must be a full http(s) URL or a path starting with '/': {url}")
    path, _, query = url.partition("?")
    base = os.environ.get(URL_ENV[market]) or DEFAULT_URLS[market]
    return base.rstrip("/"), path, query or None


def parse_json_option(name: str, text: str | None) -> dict[str, Any] | None:
    if text is None:
        return None
    try:
        value = json.loads(text, parse_float=Decimal)
    except ValueError as exc:
        raise UsageError(f"{name} is not valid JSON: {exc.msg} at position {exc.pos}") from None
    if not isinstance(value, dict):
        raise UsageError(f"{name} must be a JSON object, like '{{\"pair\": \"XBTUSD\"}}'")
    return value


def _credentials(market: str, api_key: str | None, secret_key: str | None, profile: str | None) -> dict[str, Any]:
    if secret_key:
        print(
            "warning: a secret on the command line is visible to other processes and kept in shell history; "
            "store it in a profile instead (kraken-ops profile add NAME)",
            file=sys.stderr,
        )
    key_env, secret_env = KEY_ENV[market]
    key = api_key or os.environ.get(key_env) or ""
    secret = secret_key or os.environ.get(secret_env) or ""
    if key or secret or not profile:
        return {"key": key, "secret": secret}
    from kraken_ops.profiles import client_kwargs

    return client_kwargs(profile, market=market)


def run_raw(
    market: str,
    url: str,
    *,
    method: str | None = None,
    data: str | None = None,
    query: str | None = None,
    timeout: int = 10,
    api_key: str | None = None,
    secret_key: str | None = None,
    profile: str | None = None,
) -> Any:
    """Send one raw request and return the parsed result (or the raw response for binary bodies)."""
    if market not in DEFAULT_URLS:
        raise UsageError(f"market must be spot or futures, not {market!r}")
    method = (method or "GET").upper()
    if method not in METHODS:
        raise UsageError(f"-X must be one of {', '.join(METHODS)}, not {method!r}")
    base, path, query_str = split_url(market, url)
    body = parse_json_option("--data", data)
    query_params = parse_json_option("--query", query)
    creds = _credentials(market, api_key, secret_key, profile)
    if not url.startswith(("http://", "https://")) and "url" in creds:
        base = creds["url"]
    creds["url"] = base
    creds["timeout"] = timeout
    needs_key = path.startswith("/0/private") if market == "spot" else False
    if needs_key and not (creds.get("key") and creds.get("secret")):
        from kraken_ops.exceptions import KrakenConfigError

        key_env, secret_env = KEY_ENV[market]
        raise KrakenConfigError(f"{path} needs an API key: pass --profile NAME, or set {key_env} and {secret_env}")
    if not moves_money(market, method, path, body):
        return _send(market, method, path, creds, body, query_params, query_str, timeout)
    from kraken_ops.cli import audit

    environment = _environment(market, base, creds.get("profile"))
    params = {"method": method, "path": path, "url": base, "data": body, "query": query_params or query_str}
    command = f"{'kraken' if _state.get('standalone') else 'kraken-ops'} {market} URL"
    with audit.Recording(command, creds.get("profile"), environment, {k: v for k, v in params.items() if v}, f"raw {method} {path}") as entry:
        entry.result = result = _send(market, method, path, creds, body, query_params, query_str, timeout)
    return result


def moves_money(market: str, method: str, path: str, body: dict[str, Any] | None) -> bool:
    """Whether a raw request goes to a private endpoint that places, cancels or moves money
    (the writes of :data:`kraken_ops._core.outcome.CHECKS`), other than a ``validate`` dry run."""
    from kraken_ops._core.outcome import CHECKS, endpoint_of

    if method == "GET" or (market == "spot" and not path.startswith("/0/private/")):
        return False
    if (market, endpoint_of(path)) not in CHECKS:
        return False
    validate = (body or {}).get("validate")
    return not (validate is True or str(validate).lower() == "true")


def _environment(market: str, base: str, profile: str | None) -> str:
    if profile:
        try:
            from kraken_ops.profiles import get_profile

            return get_profile(profile).environment
        except Exception:
            pass
    return "production" if base.rstrip("/") == DEFAULT_URLS[market] else "custom"


def _send(
    market: str, method: str, path: str, creds: dict[str, Any], body: Any, query_params: Any, query_str: str | None, timeout: int
) -> Any:
    if market == "spot":
        from kraken_ops.spot.base import SpotClient

        auth = path.startswith("/0/private")
        with SpotClient(**creds) as client:
            return client.request(method, path, params=body, timeout=timeout, auth=auth, query_str=query_str, return_raw=True)
    from kraken_ops.futures.base import FuturesClient

    auth = bool(creds.get("key") and creds.get("secret"))
    if query_str:
        path = f"{path}?{query_str}"
    with FuturesClient(**creds) as client:
        return client.request(method, path, post_params=body, query_params=query_params, timeout=timeout, auth=auth, return_raw=True)


def emit(result: Any) -> None:
    """Print a result: JSON for data, bytes as they came for binary bodies."""
    from kraken_ops._core.jsonout import dumps

    if isinstance(result, (bytes, bytearray)):
        sys.stdout.buffer.write(result)
    elif hasattr(result, "iter_content"):  # a streamed binary response (e.g. RetrieveExport)
        for chunk in result.iter_content(65536):
            sys.stdout.buffer.write(chunk)
        result.close()
    else:
        sys.stdout.write(dumps(result, indent=2 if sys.stdout.isatty() else None) + "\n")
    sys.stdout.flush()


def exit_code_for(exc: BaseException) -> int:
    from kraken_ops import exceptions as kexc

    if isinstance(exc, UsageError):
        return 2
    if isinstance(exc, kexc.KrakenNetworkError):
        return 4
    if isinstance(exc, kexc.KrakenConfigError):
        return 3
    if isinstance(exc, kexc.KrakenUnexpectedResponseError):
        return 4 if exc.status >= 500 else 1
    if isinstance(exc, kexc.KrakenException):
        return 1
    return 1


def run_and_print(market: str, url: str, verbose: bool = False, **options: Any) -> int:
    """Run a raw command for the CLI: print the result or one error line; return the exit code."""
    try:
        emit(run_raw(market, url, **options))
        return 0
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        _quiet_broken_pipe()
        return 0
    except Exception as exc:  # noqa: BLE001 - every failure becomes one line
        if verbose:
            import traceback

            traceback.print_exc()
        code = exit_code_for(exc)
        kraken_error = getattr(exc, "kraken_error", None)
        message = str(exc) if not kraken_error or str(exc) == kraken_error else f"{exc} ({kraken_error})"
        if kraken_error and str(exc) == kraken_error:
            message = f"Kraken rejected the request ({kraken_error})"
        from kraken_ops.cli.output import say

        say(f"error: {message}", sys.stderr)
        return code


def _quiet_broken_pipe() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except OSError:
        pass


app = typer.Typer(
    name="kraken",
    help="Command-line tool to access the Kraken Crypto Asset Exchange API (python-kraken-sdk compatible).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

_state = {"verbose": False}


def _version(value: bool) -> None:
    if value:
        typer.echo(f"kraken (kraken-ops) {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version and exit."),
    verbose: bool = typer.Option(False, "-v", "--verbose", help="Show tracebacks on errors."),
) -> None:
    """Command-line tool to access the Kraken Crypto Asset Exchange API."""
    _state["verbose"] = verbose


MethodOpt = typer.Option("GET", "-X", help="Request method: GET, POST, PUT or DELETE.", case_sensitive=False)
TimeoutOpt = typer.Option(10, "--timeout", help="Timeout in seconds.")
KeyOpt = typer.Option(None, "--api-key", help="Kraken public API key (or the environment variable, or --profile).")
SecretOpt = typer.Option(None, "--secret-key", help="Kraken secret key (discouraged: visible on argv; use a profile).")
ProfileOpt = typer.Option(None, "--profile", help="Use the credentials and URL of this kraken-ops profile.")


@app.command("spot")
def spot_command(
    url: str = typer.Argument(..., help="Full URL or path, e.g. /0/public/Time"),
    x: str = MethodOpt,
    data: Optional[str] = typer.Option(None, "-d", "--data", help="Payload as a JSON object string."),
    timeout: int = TimeoutOpt,
    api_key: Optional[str] = KeyOpt,
    secret_key: Optional[str] = SecretOpt,
    profile: Optional[str] = ProfileOpt,
) -> None:
    """Access the Kraken Spot REST API."""
    raise typer.Exit(
        run_and_print("spot", url, _state["verbose"], method=x, data=data, timeout=timeout, api_key=api_key, secret_key=secret_key, profile=profile)
    )


@app.command("futures")
def futures_command(
    url: str = typer.Argument(..., help="Full URL or path, e.g. /derivatives/api/v3/tickers"),
    x: str = MethodOpt,
    data: Optional[str] = typer.Option(None, "-d", "--data", help="POST parameters as a JSON object string."),
    query: Optional[str] = typer.Option(None, "-q", "--query", help="Query parameters as a JSON object string."),
    timeout: int = TimeoutOpt,
    api_key: Optional[str] = KeyOpt,
    secret_key: Optional[str] = SecretOpt,
    profile: Optional[str] = ProfileOpt,
) -> None:
    """Access the Kraken Futures REST API."""
    raise typer.Exit(
        run_and_print(
            "futures", url, _state["verbose"], method=x, data=data, query=query, timeout=timeout, api_key=api_key, secret_key=secret_key, profile=profile
        )
    )


def main() -> None:  # console-script entry point
    _state["standalone"] = True  # the `kraken` command (named so in the audit log)
    app()
