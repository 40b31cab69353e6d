"""One-time passwords: RFC 4226 and RFC 6238 test vectors, for the client and (independently) the exchange.

Plus the rules of ``otp=``: strings or callables (never an int, which would lose a
leading zero), seeds as authenticator apps show them, and a seed never shown by repr.
"""

from __future__ import annotations

import base64
import inspect

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kraken_ops._core import otp
from kraken_ops.exchange import auth

# RFC 6238 Appendix B: the seeds are ASCII "1234567890" repeated to 20, 32 and 64 bytes.
SEEDS = {
    "sha1": b"12345678901234567890",
    "sha256": b"12345678901234567890123456789012",
    "sha512": b"1234567890123456789012345678901234567890123456789012345678901234",
}
RFC6238 = [  # (time, sha1, sha256, sha512), 8 digits
    (59, "94287082", "46119246", "90693936"),
    (1111111109, "07081804", "68084774", "25091201"),
    (1111111111, "14050471", "67062674", "99943326"),
    (1234567890, "89005924", "91819424", "93441116"),
    (2000000000, "69279037", "90698825", "38618901"),
    (20000000000, "65353130", "77737706", "47863826"),
]
# RFC 4226 Appendix D: HOTP of "12345678901234567890", counters 0..9, 6 digits.
RFC4226 = ["755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"]


@pytest.mark.parametrize("when,sha1,sha256,sha512", RFC6238)
def test_client_totp_matches_rfc6238_vectors(when, sha1, sha256, sha512):
    for algorithm, expected in (("sha1", sha1), ("sha256", sha256), ("sha512", sha512)):
        assert otp.totp(SEEDS[algorithm], when, digits=8, algorithm=algorithm) == expected


@pytest.mark.parametrize("when,sha1,_sha256,_sha512", RFC6238)
def test_exchange_totp_matches_rfc6238_vectors(when, sha1, _sha256, _sha512):
    seed = base64.b32encode(SEEDS["sha1"]).decode()
    assert auth.totp_code(seed, when) == sha1[-6:]  # 6 digits are the last 6 of the 8-digit value


@pytest.mark.parametrize("counter,expected", list(enumerate(RFC4226)))
def test_hotp_matches_rfc4226_vectors(counter, expected):
    assert otp.hotp(SEEDS["sha1"], counter) == expected


def test_totp_object_computes_codes_from_a_base32_seed_and_its_clock():
    seed = base64.b32encode(SEEDS["sha1"]).decode()
    code = otp.TOTP(seed.lower(), clock=lambda: 1111111109)
    assert code() == code.now() == "081804"
    assert code.at(59) == "287082"
    assert otp.TOTP(seed, digits=8, clock=lambda: 20000000000)() == "65353130"


def test_seeds_are_read_as_authenticator_apps_show_them():
    assert otp.decode_seed("gezd gnbv gy3t qojq") == b"1234567890"
    assert otp.decode_seed("GEZD-GNBV-GY3T-QOJQ") == b"1234567890"
    assert otp.decode_seed("GEZDGNBVGY3TQOJQGE") == otp.decode_seed("GEZDGNBVGY3TQOJQGE======")
    for bad in ("", "   ", "not base32 at all!", "GEZDGNBVGY3TQOJ1"):
        with pytest.raises(ValueError) as info:
            otp.decode_seed(bad)
        assert bad.strip() == "" or bad not in str(info.value)


def test_totp_repr_never_shows_the_seed():
    seed = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    assert seed not in repr(otp.TOTP(seed)) and "hidden" in repr(otp.TOTP(seed))


def test_otp_values_are_strings_or_callables_never_ints():
    assert otp.current("012345") == "012345"
    assert otp.current(lambda: "654321") == "654321"
    assert otp.current(None) is None and otp.current("") is None
    with pytest.raises(TypeError, match="leading zero|string"):
        otp.check_source(12345)
    with pytest.raises(TypeError):
        otp.current(lambda: 12345)


@settings(max_examples=50, deadline=None, derandomize=True)
@given(key=st.binary(min_size=10, max_size=40), when=st.integers(min_value=30, max_value=2**34))
def test_client_and_exchange_agree_on_every_code(key, when):
    seed = base64.b32encode(key).decode()
    assert otp.TOTP(seed, clock=lambda: when)() == auth.totp_code(seed, when)
    assert auth.otp_accepted("totp", seed, otp.totp(key, when), when)
    assert auth.otp_accepted("totp", seed, otp.totp(key, when - 30), when)
    assert auth.otp_accepted("totp", seed, otp.totp(key, when + 30), when)
    assert auth.otp_accepted("totp", seed, otp.totp(key, 0), 0)  # the first step has no step before it


def test_per_call_otp_adds_a_keyword_only_parameter_and_sets_it_for_the_call():
    seen = []

    @otp.per_call_otp
    class Endpoints:
        def balance(self, asset="ZUSD", *, extra_params=None):
            seen.append(otp.call_otp())
            return asset

        def _helper(self):
            return "untouched"

    params = inspect.signature(Endpoints.balance).parameters
    assert params["otp"].kind is inspect.Parameter.KEYWORD_ONLY and params["otp"].default is None
    assert list(params) == ["self", "asset", "extra_params", "otp"]
    assert "otp" not in inspect.signature(Endpoints._helper).parameters
    e = Endpoints()
    assert e.balance("XXBT", otp="111111") == "XXBT"
    assert e.balance() == "ZUSD"
    assert seen == ["111111", None]  # set for the call only
    with pytest.raises(TypeError):
        e.balance(otp=111111)


def test_prompt_scope_remembers_within_a_block_only():
    assert otp.prompted() is None
    with otp.prompt_scope() as memo:
        memo["bot"] = "123456"
        assert otp.prompted() == {"bot": "123456"}
    assert otp.prompted() is None
