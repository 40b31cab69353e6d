"""Messages say what they mean (issue 10, item 12).

Error texts keep their capitals (an acronym or an environment variable is not the
start of a sentence), and an invalid nonce that persists because another program
used the key with larger nonces is not retryable and says what to do.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kraken_ops import exceptions as kx
from kraken_ops.cli.errors import describe, lower_first


@pytest.mark.parametrize(
    ("exc", "message"),
    [
        (kx.KrakenApiLimitExceededError("EAPI:Rate limit exceeded", kraken_error="EAPI:Rate limit exceeded"), "API rate limit exceeded"),
        (kx.KrakenInvalidAPIKeyError("EAPI:Invalid key", kraken_error="EAPI:Invalid key"), "the API key is invalid"),
        (kx.KrakenConfigError("KRAKEN_OPS_SECRET_KEY is not set: set both"), "KRAKEN_OPS_SECRET_KEY is not set: set both"),
        (kx.KrakenNetworkError("Kraken did not answer"), "Kraken did not answer"),
        (kx.KrakenException("XBTUSD is halted"), "XBTUSD is halted"),
    ],
)
def test_error_messages_keep_their_capitals(exc: Exception, message: str) -> None:
    assert describe(exc).message.startswith(message)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.from_regex(r"[A-Z][A-Z0-9_]+( [a-z]+)*", fullmatch=True))
def test_a_first_word_in_capitals_is_never_lowered(text: str) -> None:
    assert lower_first(text) == text


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.from_regex(r"[A-Z][a-z]{1,8}( [a-z]+)*", fullmatch=True))
def test_an_ordinary_first_word_is_lowered_and_nothing_else_changes(text: str) -> None:
    lowered = lower_first(text)
    if text.split(" ")[0] in ("Kraken", "Python", "Linux"):
        assert lowered == text
    else:
        assert lowered == text[0].lower() + text[1:]


def test_the_cli_keeps_the_capitals_of_an_environment_variable(cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KRAKEN_OPS_API_KEY", "SOMEKEY")
    result = cli("balances", "-o", "json")
    assert result.exit_code == 3
    assert result.stderr.startswith("error: KRAKEN_OPS_SECRET_KEY is not set")


# --- a nonce another program has overtaken -----------------------------------------------------------
def _foreign_request(exchange: Any, account: Any, nonce: int) -> None:
    """Another program uses the key with its own (much larger) nonces."""
    import requests

    from kraken_ops.exchange.auth import spot_signature

    body = urlencode({"nonce": nonce}).encode()
    sign = spot_signature(account.spot_secret, "/0/private/Balance", str(nonce), body)
    headers = {"API-Key": account.spot_key, "API-Sign": sign, "Content-Type": "application/x-www-form-urlencoded"}
    assert requests.post(exchange.url + "/0/private/Balance", data=body, headers=headers, timeout=10).json()["error"] == []


def test_a_nonce_overtaken_by_another_program_is_not_retryable_and_says_what_to_do(cli: Any) -> None:
    account = cli.add_profile("bot1")
    _foreign_request(cli.exchange, account, 10**18)  # nanosecond nonces: ten times kraken-ops' clock nonces
    result = cli("balances", "-p", "bot1", "-o", "json")
    envelope = json.loads(result.stdout)
    assert result.exit_code == 9
    assert envelope["error"] == "nonce" and envelope["retryable"] is False
    assert "another program has used this API key with larger nonces" in envelope["message"]
    assert "hint: give kraken-ops an API key of its own" in result.stderr


class _OnceInvalidNonce:
    """A stub Spot server that refuses the first private request with ``EAPI:Invalid nonce``."""

    def __init__(self) -> None:
        self.requests = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                server.requests += 1
                payload = {"error": ["EAPI:Invalid nonce"]} if server.requests == 1 else {"error": [], "result": {"ZUSD": "1.0"}}
                data = json.dumps(payload).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


@pytest.fixture
def once_invalid() -> Iterator[_OnceInvalidNonce]:
    stub = _OnceInvalidNonce()
    yield stub
    stub.httpd.shutdown()
    stub.httpd.server_close()


def test_a_nonce_refused_once_on_a_serialised_key_is_sent_again_with_a_fresh_one(once_invalid: _OnceInvalidNonce, tmp_path: Path) -> None:
    from kraken_ops.profiles.nonce_store import NonceStore
    from kraken_ops.spot import User

    user = User(key="K", secret="c2VjcmV0", url=once_invalid.url, nonce_source=NonceStore("spot", "K", directory=tmp_path), rate_limit=False)
    assert user.get_account_balance() == {"ZUSD": "1.0"}
    assert once_invalid.requests == 2  # refused before anything happened, so sending it again is safe


def test_without_the_shared_store_a_refused_nonce_stays_a_retryable_error(once_invalid: _OnceInvalidNonce) -> None:
    from kraken_ops.spot import User

    with pytest.raises(kx.KrakenInvalidNonceError) as info:
        User(key="K", secret="c2VjcmV0", url=once_invalid.url, rate_limit=False).get_account_balance()
    assert not isinstance(info.value, kx.KrakenNonceOvertakenError) and describe(info.value).retryable is True
