"""Signatures against the official and reference vectors of kraken-protocol.md §6."""

from __future__ import annotations

import base64

import pytest

from kraken_ops._core.signing import futures_endpoint_path, sign_challenge, sign_futures, sign_spot
from kraken_ops.exceptions import KrakenConfigError

DOC_SECRET = "kQH5HW/8p1uGOVjbgWA7FunAmGO8lsSUXNsu3eow76sz84Q18fWxnyRzBHCd3pd5nE9qa99HAZtuZuj6F1huXg=="
SDK_SECRET = base64.b64encode(b"python-kraken-sdk unit-test secret value").decode()
FWS_SECRET = "7zxMEF5p/Z8l2p2U7Ghv6x14Af+Fx+92tPgUdVQ748FOIrEoT9bgT+bTRfXc5pz8na+hL/QdrCVG7bh9KpT0eMTm"


def test_spot_official_vector_6_1() -> None:
    body = "nonce=1616492376594&ordertype=limit&pair=XBTUSD&price=37500&type=buy&volume=1.25"
    assert (
        sign_spot(DOC_SECRET, "/0/private/AddOrder", "1616492376594", body)
        == "4/dpxb3iT4tp/ZCVEwSnEsLxx0bqyhLpdfOpc6fn7OR8+UClSV5n9E6aSS8MPtnRfp32bAb0nmbRn6H8ndwLUQ=="
    )


def test_spot_reference_vector_6_2() -> None:
    assert SDK_SECRET == "cHl0aG9uLWtyYWtlbi1zZGsgdW5pdC10ZXN0IHNlY3JldCB2YWx1ZQ=="
    body = "nonce=1616492376594&ordertype=limit&pair=XBTUSD"
    assert (
        sign_spot(SDK_SECRET, "/0/private/AddOrder", 1616492376594, body)
        == "Fo+0Uhanvs3F1byZFCjVBMLsCcRE2xLQMDpoA3Q9hawoZ0ZL35AmbknAQBlOIs4baRx9UGhzQH+/CTl9qnyp1w=="
    )


@pytest.mark.parametrize(
    ("path", "body", "expected"),
    [
        ("/0/private/Balance", "nonce=1616492376594", "1nH4vwR+8FHiYh1QT649xXkGd3JR3x0DWkgv3u9Ed/Qqv6KPtgQpEU4m+Emb/VgpEji3j1XNwI+HCbfXxmrTOg=="),
        (
            "/0/private/CancelOrderBatch",
            '{"orders": ["OG5IL4-6AR7I-ZAPZEZ", "OAUHYR-YCVK6-P22G6P"], "nonce": "1616492376594"}',
            "Eg2QIIKhNfH3t4OnymFRMaebmkrmeEl3iDNfZItxkSlIZ0iBNYzdqh/in+eHrTcIxq4ULvd5lajCo13oj5qU7g==",
        ),
    ],
)
def test_spot_derived_vectors_6_3(path: str, body: str, expected: str) -> None:
    assert sign_spot(DOC_SECRET, path, "1616492376594", body) == expected


@pytest.mark.parametrize("endpoint", ["/derivatives/api/v3/sendorder", "/api/v3/sendorder"])
def test_futures_reference_vector_6_4(endpoint: str) -> None:
    assert (
        sign_futures(SDK_SECRET, endpoint, "1616492376594", "orderType=lmt&symbol=PI_XBTUSD")
        == "Txi+gJVXe3EN1brXYQ46FuV6UVtEVSKhc6dYMhPb7a/HXZLGvO6m9UUg+KVKqhLxrbllOPI7qRkHYmPfJZZSGA=="
    )


def test_futures_ws_challenge_official_vector_6_5() -> None:
    assert (
        sign_challenge(FWS_SECRET, "c100b894-1729-464d-ace1-52dbce11db42")
        == "4JEpF3ix66GA2B+ooK128Ift4XQVtc137N9yeg4Kqsn9PI0Kpzbysl9M1IeCEdjg0zl00wkVqcsnG4bmnlMb3A=="
    )


def test_futures_derived_vector_6_6() -> None:
    assert (
        sign_futures(FWS_SECRET, "/api/v3/orderbook", "1415957147987", "symbol=fi_xbtusd_180615")
        == "JHLjN8OUDYaXjHRGT0z4nUvJorORrXoL9omot4BK5ihtp6jKHPHfzX9MrpVjqAgKqGJejoO3gySwoVCMJQlx/Q=="
    )


def test_endpoint_path_strips_only_the_derivatives_prefix() -> None:
    assert futures_endpoint_path("/derivatives/api/v3/openorders") == "/api/v3/openorders"
    assert futures_endpoint_path("/api/history/v2/account-log") == "/api/history/v2/account-log"


def test_bad_secret_error_does_not_echo_the_secret() -> None:
    secret = "not*base64*secret"
    with pytest.raises(KrakenConfigError) as info:
        sign_spot(secret, "/0/private/Balance", "1", "nonce=1")
    assert secret not in str(info.value)
