"""The exchange's own signature code against the vectors of kraken-protocol.md §6."""

from kraken_ops.exchange import auth

DOC_SECRET = "kQH5HW/8p1uGOVjbgWA7FunAmGO8lsSUXNsu3eow76sz84Q18fWxnyRzBHCd3pd5nE9qa99HAZtuZuj6F1huXg=="
SDK_SECRET = "cHl0aG9uLWtyYWtlbi1zZGsgdW5pdC10ZXN0IHNlY3JldCB2YWx1ZQ=="
FWS_SECRET = "7zxMEF5p/Z8l2p2U7Ghv6x14Af+Fx+92tPgUdVQ748FOIrEoT9bgT+bTRfXc5pz8na+hL/QdrCVG7bh9KpT0eMTm"


def test_spot_official_vector():
    body = b"nonce=1616492376594&ordertype=limit&pair=XBTUSD&price=37500&type=buy&volume=1.25"
    sig = "4/dpxb3iT4tp/ZCVEwSnEsLxx0bqyhLpdfOpc6fn7OR8+UClSV5n9E6aSS8MPtnRfp32bAb0nmbRn6H8ndwLUQ=="
    assert auth.spot_signature(DOC_SECRET, "/0/private/AddOrder", "1616492376594", body) == sig
    assert auth.verify_spot(DOC_SECRET, "/0/private/AddOrder", "1616492376594", body, sig)
    assert not auth.verify_spot(DOC_SECRET, "/0/private/AddOrder", "1616492376595", body, sig)


def test_spot_sdk_golden_vector():
    body = b"nonce=1616492376594&ordertype=limit&pair=XBTUSD"
    assert auth.spot_signature(SDK_SECRET, "/0/private/AddOrder", "1616492376594", body) == (
        "Fo+0Uhanvs3F1byZFCjVBMLsCcRE2xLQMDpoA3Q9hawoZ0ZL35AmbknAQBlOIs4baRx9UGhzQH+/CTl9qnyp1w=="
    )


def test_spot_derived_vectors_form_and_json():
    assert auth.spot_signature(DOC_SECRET, "/0/private/Balance", "1616492376594", b"nonce=1616492376594") == (
        "1nH4vwR+8FHiYh1QT649xXkGd3JR3x0DWkgv3u9Ed/Qqv6KPtgQpEU4m+Emb/VgpEji3j1XNwI+HCbfXxmrTOg=="
    )
    body = b'{"orders": ["OG5IL4-6AR7I-ZAPZEZ", "OAUHYR-YCVK6-P22G6P"], "nonce": "1616492376594"}'
    assert auth.spot_signature(DOC_SECRET, "/0/private/CancelOrderBatch", "1616492376594", body) == (
        "Eg2QIIKhNfH3t4OnymFRMaebmkrmeEl3iDNfZItxkSlIZ0iBNYzdqh/in+eHrTcIxq4ULvd5lajCo13oj5qU7g=="
    )


def test_futures_authent_vectors():
    expected = "Txi+gJVXe3EN1brXYQ46FuV6UVtEVSKhc6dYMhPb7a/HXZLGvO6m9UUg+KVKqhLxrbllOPI7qRkHYmPfJZZSGA=="
    data = "orderType=lmt&symbol=PI_XBTUSD"
    assert auth.futures_signature(SDK_SECRET, data, "1616492376594", "/derivatives/api/v3/sendorder") == expected
    assert auth.futures_signature(SDK_SECRET, data, "1616492376594", "/api/v3/sendorder") == expected
    assert auth.futures_signature(FWS_SECRET, "symbol=fi_xbtusd_180615", "1415957147987", "/api/v3/orderbook") == (
        "JHLjN8OUDYaXjHRGT0z4nUvJorORrXoL9omot4BK5ihtp6jKHPHfzX9MrpVjqAgKqGJejoO3gySwoVCMJQlx/Q=="
    )


def test_futures_ws_challenge_official_vector():
    signed = "4JEpF3ix66GA2B+ooK128Ift4XQVtc137N9yeg4Kqsn9PI0Kpzbysl9M1IeCEdjg0zl00wkVqcsnG4bmnlMb3A=="
    assert auth.sign_challenge(FWS_SECRET, "c100b894-1729-464d-ace1-52dbce11db42") == signed
    assert auth.verify_challenge(FWS_SECRET, "c100b894-1729-464d-ace1-52dbce11db42", signed)
