"""DepositAddresses answers an address in each method's real format, with a valid checksum.

The checks here are written independently of ``kraken_ops.exchange.addresses`` (decoders, not
the encoders), so that a wrong encoder cannot pass its own test; Keccak-256 (for EIP-55) is the
one exception, and the unit tests hold it against published vectors.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import pytest
from helpers import Spot, name

from kraken_ops.exchange.addresses import keccak256

CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def bech32_decode(addr: str) -> tuple[str, list[int]]:
    """(hrp, data) of a bech32 string whose checksum verifies (BIP-173), else AssertionError."""
    assert addr == addr.lower()
    hrp, _, rest = addr.rpartition("1")
    data = [CHARSET.index(ch) for ch in rest]
    gen = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]
    chk = 1
    for v in [ord(x) >> 5 for x in hrp] + [0] + [ord(x) & 31 for x in hrp] + data:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            chk ^= gen[i] if (top >> i) & 1 else 0
    assert chk == 1, f"bad bech32 checksum: {addr}"
    return hrp, data[:-6]


def b58decode(s: str, alphabet: str = B58) -> bytes:
    n = 0
    for ch in s:
        n = n * 58 + alphabet.index(ch)
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return b"\x00" * (len(s) - len(s.lstrip(alphabet[0]))) + raw


def b58check_payload(s: str, alphabet: str = B58) -> bytes:
    raw = b58decode(s, alphabet)
    payload, checksum = raw[:-4], raw[-4:]
    assert hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4] == checksum, f"bad checksum: {s}"
    return payload


def check_eip55(addr: str) -> None:
    assert addr.startswith("0x") and len(addr) == 42
    body = addr[2:]
    digest = keccak256(body.lower().encode()).hex()
    for ch, h in zip(body, digest):
        if ch.isalpha():
            assert ch.isupper() == (int(h, 16) >= 8), f"bad EIP-55 checksum: {addr}"
    assert body != body.lower() and body != body.upper()  # mixed case: a checksum is there


def check_ss58(addr: str, prefix: int) -> None:
    raw = b58decode(addr)
    assert len(raw) == 35 and raw[0] == prefix
    assert hashlib.blake2b(b"SS58PRE" + raw[:33], digest_size=64).digest()[:2] == raw[33:], f"bad SS58: {addr}"


def check_stellar(addr: str) -> None:
    raw = base64.b32decode(addr + "=" * (-len(addr) % 8))
    payload, checksum = raw[:-2], raw[-2:]
    crc = 0
    for byte in payload:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
    assert addr.startswith("G") and len(addr) == 56 and crc.to_bytes(2, "little") == checksum


def check_cashaddr(addr: str) -> None:
    prefix, _, rest = addr.partition(":")
    assert prefix == "bitcoincash" and rest.startswith("q")
    c = 1
    for d in [ord(x) & 31 for x in prefix] + [0] + [CHARSET.index(ch) for ch in rest]:
        c0 = c >> 35
        c = ((c & 0x07FFFFFFFF) << 5) ^ d
        for bit, g in ((1, 0x98F2BC8E61), (2, 0x79B76D99E2), (4, 0xF33E5FB3C4), (8, 0xAE2EABE2A8), (16, 0x1E4F43E470)):
            if c0 & bit:
                c ^= g
    assert c ^ 1 == 0, f"bad CashAddr checksum: {addr}"


def check_monero(addr: str) -> None:
    assert len(addr) == 95 and addr[0] == "4"
    raw = b""
    for i in range(0, 88, 11):
        raw += b58decode(addr[i:i + 11]).rjust(8, b"\x00")[-8:]
    raw += b58decode(addr[88:]).rjust(5, b"\x00")[-5:]
    assert raw[0] == 18 and keccak256(raw[:65])[:4] == raw[65:], f"bad Monero checksum: {addr}"


CASES: dict[str, Any] = {
    "XBT": lambda a: bech32_decode(a)[0] == "bc" and bech32_decode(a)[1][0] == 0 and len(a) == 42,
    "LTC": lambda a: bech32_decode(a)[0] == "ltc",
    "ATOM": lambda a: bech32_decode(a)[0] == "cosmos",
    "ADA": lambda a: bech32_decode(a)[0] == "addr",
    "ETH": lambda a: check_eip55(a) is None,
    "USDT": lambda a: check_eip55(a) is None,
    "DOT": lambda a: check_ss58(a, 0) is None and a.startswith("1"),
    "KSM": lambda a: check_ss58(a, 2) is None,
    "XDG": lambda a: b58check_payload(a)[0] == 0x1E and a.startswith("D"),
    "TRX": lambda a: b58check_payload(a)[0] == 0x41 and a.startswith("T"),
    "ZEC": lambda a: b58check_payload(a)[:2] == b"\x1c\xb8" and a.startswith("t1"),
    "XRP": lambda a: b58check_payload(a, "rpshnaf39wBUDNEGHJKLM4PQRST7VWXYZ2bcdeCg65jkm8oFqi1tuvAxyz")[0] == 0
    and a.startswith("r"),
    "XLM": lambda a: check_stellar(a) is None,
    "BCH": lambda a: check_cashaddr(a) is None,
    "XMR": lambda a: check_monero(a) is None,
    "SOL": lambda a: len(b58decode(a)) == 32,
    "XTZ": lambda a: b58check_payload(a)[:3] == bytes([6, 161, 159]) and a.startswith("tz1"),
}


@pytest.fixture
def client(exchange: Any) -> Spot:
    return Spot(exchange.url, exchange.add_account(name()))


@pytest.mark.parametrize("asset", sorted(CASES))
def test_deposit_address_is_in_the_methods_real_format(client: Spot, asset: str) -> None:
    method = client.ok("DepositMethods", {"asset": asset})[0]
    assert method["gen-address"] is True
    addrs = client.ok("DepositAddresses", {"asset": asset, "method": method["method"]})
    assert len(addrs) == 1 and addrs[0]["expiretm"] == "0"
    assert CASES[asset](addrs[0]["address"]), addrs[0]
    fresh = client.ok("DepositAddresses", {"asset": asset, "method": method["method"], "new": "true"})
    assert fresh[0]["new"] is True and fresh[0]["address"] != addrs[0]["address"]
    assert CASES[asset](fresh[0]["address"]), fresh[0]
    # the default address stays the same; new ones are not remembered
    assert client.ok("DepositAddresses", {"asset": asset})[0]["address"] == addrs[0]["address"]


def test_tags_and_memos(client: Spot) -> None:
    xlm = client.ok("DepositAddresses", {"asset": "XLM", "method": "Stellar XLM"})[0]
    xrp = client.ok("DepositAddresses", {"asset": "XRP"})[0]
    atom = client.ok("DepositAddresses", {"asset": "ATOM"})[0]
    assert xlm["tag"].isdigit() and xrp["tag"].isdigit() and atom["memo"].isdigit()


def test_bank_methods_have_no_addresses(client: Spot) -> None:
    assert client.ok("DepositMethods", {"asset": "EUR"})[0]["gen-address"] is False
    assert client.ok("DepositAddresses", {"asset": "EUR"}) == []
    assert client.error("DepositAddresses", {"asset": "KFEE"}) == ["EFunding:No funding method"]
    assert client.error("DepositAddresses", {"asset": "XBT", "method": "Stellar XLM"}) == [
        "EGeneral:Invalid arguments:method"]
