"""Keys with two-factor authentication: the ``otp`` of every private Spot call (docs/exchange.md).

A password key and a TOTP key, each with the otp accepted, missing and wrong; the TOTP
window (the current 30-second step and one either side); the nonce of a refused request
is not used up; a key without 2FA refuses an otp; the password is never stored in plain
text; the WebSocket token request needs the otp like any private call.
"""

from __future__ import annotations

import time

import pytest
from helpers import Spot, name, next_nonce

from kraken_ops.exchange import auth
from kraken_ops.exchange.state import State, StateError

OTP_ERROR = ["EAPI:Invalid signature"]
SEED = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def _otp_account(exchange, **otp):
    with exchange._lock:
        return exchange.db.add_account(name("otp"), **otp)


def _mid_step(clock) -> float:
    """The exchange's time, at least 3 s away from the end of a 30-second step (waits if needed)."""
    now = clock()
    if now % 30 > 27:
        time.sleep(30 - now % 30 + 0.2)
        now = clock()
    return now


def test_password_key_accepts_its_password(exchange):
    acct = _otp_account(exchange, otp_password="correct horse")
    c = Spot(exchange.url, acct)
    assert isinstance(c.ok("Balance", {"otp": "correct horse"}), dict)
    c.ok("Balance", {"otp": "correct horse"})  # a static password works every time


def test_password_key_without_otp_is_refused(exchange):
    acct = _otp_account(exchange, otp_password="correct horse")
    assert Spot(exchange.url, acct).error("Balance") == OTP_ERROR


def test_password_key_with_a_wrong_password_is_refused(exchange):
    acct = _otp_account(exchange, otp_password="correct horse")
    c = Spot(exchange.url, acct)
    assert c.error("Balance", {"otp": "correct horsE"}) == OTP_ERROR
    assert c.error("Balance", {"otp": ""}) == OTP_ERROR


def test_totp_key_accepts_the_current_code_in_form_and_json_bodies(exchange):
    acct = _otp_account(exchange, otp_totp_seed=SEED)
    c = Spot(exchange.url, acct)
    c.ok("Balance", {"otp": auth.totp_code(SEED, exchange.ctx.clock())})
    c.ok("Balance", {"otp": auth.totp_code(SEED, exchange.ctx.clock())}, json_body=True)


def test_totp_key_without_otp_is_refused(exchange):
    acct = _otp_account(exchange, otp_totp_seed=SEED)
    assert Spot(exchange.url, acct).error("Balance") == OTP_ERROR


def test_totp_key_with_a_wrong_code_is_refused(exchange):
    acct = _otp_account(exchange, otp_totp_seed=SEED)
    c = Spot(exchange.url, acct)
    right = auth.totp_code(SEED, exchange.ctx.clock())
    wrong = f"{(int(right) + 1) % 10**6:06d}"
    assert c.error("Balance", {"otp": wrong}) == OTP_ERROR
    assert c.error("Balance", {"otp": "abcdef"}) == OTP_ERROR
    other_seed = auth.totp_code("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", exchange.ctx.clock())
    if other_seed != right:
        assert c.error("Balance", {"otp": other_seed}) == OTP_ERROR


def test_totp_window_is_one_step_either_side(exchange):
    acct = _otp_account(exchange, otp_totp_seed=SEED)
    c = Spot(exchange.url, acct)
    now = _mid_step(exchange.ctx.clock)
    codes = {k: auth.totp_code(SEED, now, k) for k in (-2, -1, 0, 1, 2)}
    for k in (-1, 0, 1):
        c.ok("Balance", {"otp": codes[k]})
    for k in (-2, 2):
        if codes[k] not in (codes[-1], codes[0], codes[1]):
            assert c.error("Balance", {"otp": codes[k]}) == OTP_ERROR


def test_a_totp_code_may_be_used_again_within_its_window(exchange):
    """Every request is single-use through its nonce; a bot makes more than one call per 30 s."""
    acct = _otp_account(exchange, otp_totp_seed=SEED)
    c = Spot(exchange.url, acct)
    code = auth.totp_code(SEED, _mid_step(exchange.ctx.clock))
    for _ in range(3):
        c.ok("Balance", {"otp": code})


def test_a_refused_otp_does_not_use_up_the_nonce(exchange):
    acct = _otp_account(exchange, otp_password="pw")
    c = Spot(exchange.url, acct)
    n = next_nonce()
    assert c.error("Balance", {"otp": "nope"}, nonce=n) == OTP_ERROR
    c.ok("Balance", {"otp": "pw"}, nonce=n)


def test_a_key_without_2fa_refuses_an_otp(exchange):
    acct = exchange.add_account(name())
    c = Spot(exchange.url, acct)
    assert c.error("Balance", {"otp": "123456"}) == OTP_ERROR
    c.ok("Balance")


def test_the_websocket_token_needs_the_otp_too(exchange):
    acct = _otp_account(exchange, otp_totp_seed=SEED)
    c = Spot(exchange.url, acct)
    assert c.error("GetWebSocketsToken") == OTP_ERROR
    assert c.ok("GetWebSocketsToken", {"otp": auth.totp_code(SEED, exchange.ctx.clock())})["token"]


def test_the_password_is_stored_as_a_salted_hash_and_listed_as_a_type_only(tmp_path):
    db = State(tmp_path)
    try:
        acct = db.add_account("a", otp_password="hunter2")
        raw = db.query("SELECT kind, secret FROM account_otp WHERE account='a'")[0]
        assert raw["kind"] == "password" and "hunter2" not in raw["secret"] and raw["secret"].startswith("sha256$")
        assert acct.public_dict()["otp"] == "password" and "hunter2" not in repr(acct)
        assert db.add_account("b").public_dict()["otp"] is None
        db.remove_account("a")
        assert db.query("SELECT * FROM account_otp") == []
    finally:
        db.close()


@pytest.mark.parametrize(
    "options",
    [{"otp_password": ""}, {"otp_totp_seed": "not base32!"}, {"otp_totp_seed": "JBSWY3DP"}, {"otp_password": "x", "otp_totp_seed": SEED}],
)
def test_bad_2fa_settings_are_refused(tmp_path, options):
    db = State(tmp_path)
    try:
        with pytest.raises(StateError):
            db.add_account("a", **options)
        assert db.accounts() == []
    finally:
        db.close()
