"""Deposit addresses in each funding method's real format, with their real checksums.

The local exchange hands out addresses that look and check like the real ones (a client that
validates an address before showing it, or a test that parses it, gets a valid one), derived
from the account, the asset and an index, so the same account always sees the same default
address. The encoders are implemented here (nothing from outside the standard library):

=================  ======================================================================
kind               format
=================  ======================================================================
``bech32:HRP``     BIP-173 segwit v0 P2WPKH (``bc1q…``, ``ltc1q…``); with ``+memo``:
                   plain bech32 of a 20-byte account (``cosmos1…``, ``inj1…``) and a memo
``eth``            ``0x`` + 40 hex digits with the EIP-55 mixed-case checksum (Keccak-256)
``ss58:N``         SS58 (Polkadot ``1…`` with N=0, Kusama with N=2): base58 of prefix,
                   public key and a BLAKE2b-512 checksum
``base58check:V``  base58 of version bytes V (hex), 20-byte hash, double-SHA-256 checksum
                   (Dogecoin ``D…``, Tron ``T…``, Zcash ``t1…``)
``xrp+tag``        XRP Ledger classic address (base58check, Ripple alphabet) and a tag
``stellar+tag``    Stellar StrKey ``G…`` (base32 with CRC16-XModem) and a memo tag
``cashaddr``       Bitcoin Cash ``bitcoincash:q…`` (CashAddr, 40-bit BCH checksum)
``monero``         Monero standard address (95 characters, Keccak-256 checksum)
``cardano``        Shelley enterprise address ``addr1…`` (bech32)
``solana``         base58 of a 32-byte ed25519 public key (SPL tokens too)
``tezos``          ``tz1…`` (base58check of the BLAKE2b-160 key hash)
``filecoin``       ``f1…`` (base32 with a BLAKE2b-32 checksum)
``algorand``       base32 of the key and the last 4 bytes of its SHA-512/256
``hex64``          64 hex digits (NEAR implicit account); ``0xhex64``: ``0x`` + 64 hex (Aptos, Sui)
``fiat``           none (bank methods: DepositAddresses lists nothing)
=================  ======================================================================
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

# ---------------------------------------------------------------- Keccak-256 (not SHA3-256: the original padding)
_RC = (0x0000000000000001, 0x0000000000008082, 0x800000000000808A, 0x8000000080008000, 0x000000000000808B,
       0x0000000080000001, 0x8000000080008081, 0x8000000000008009, 0x000000000000008A, 0x0000000000000088,
       0x0000000080008009, 0x000000008000000A, 0x000000008000808B, 0x800000000000008B, 0x8000000000008089,
       0x8000000000008003, 0x8000000000008002, 0x8000000000000080, 0x000000000000800A, 0x800000008000000A,
       0x8000000080008081, 0x8000000000008080, 0x0000000080000001, 0x8000000080008008)
#: rotation offsets r[x][y]
_ROT = ((0, 36, 3, 41, 18), (1, 44, 10, 45, 2), (62, 6, 43, 15, 61), (28, 55, 25, 21, 56), (27, 20, 39, 8, 14))
_M64 = (1 << 64) - 1


def _rol(v: int, n: int) -> int:
    return ((v << n) | (v >> (64 - n))) & _M64 if n else v


def _keccak_f(a: list[int]) -> None:
    """Keccak-f[1600] on the 25 lanes ``a[x + 5*y]``, in place."""
    for rc in _RC:
        c = [a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20] for x in range(5)]
        d = [c[(x - 1) % 5] ^ _rol(c[(x + 1) % 5], 1) for x in range(5)]
        for i in range(25):
            a[i] ^= d[i % 5]
        b = [0] * 25
        for x in range(5):
            for y in range(5):
                b[y + 5 * ((2 * x + 3 * y) % 5)] = _rol(a[x + 5 * y], _ROT[x][y])
        for y in range(0, 25, 5):
            row = b[y:y + 5]
            for x in range(5):
                a[y + x] = row[x] ^ (~row[(x + 1) % 5] & row[(x + 2) % 5])
        a[0] ^= rc


def keccak256(data: bytes, *, pad: int = 0x01) -> bytes:
    """Keccak-256 as Ethereum and Monero use it (``pad=0x06`` gives SHA3-256)."""
    rate = 136
    msg = bytearray(data)
    msg.append(pad)
    msg.extend(b"\x00" * (-len(msg) % rate))
    msg[-1] |= 0x80
    state = [0] * 25
    for off in range(0, len(msg), rate):
        for i in range(rate // 8):
            state[i] ^= int.from_bytes(msg[off + 8 * i:off + 8 * i + 8], "little")
        _keccak_f(state)
    return b"".join(state[i].to_bytes(8, "little") for i in range(4))


def eip55(addr20: bytes) -> str:
    """``0x`` + the EIP-55 mixed-case checksummed hex of a 20-byte address."""
    hexaddr = addr20.hex()
    digest = keccak256(hexaddr.encode()).hex()
    return "0x" + "".join(ch.upper() if ch.isalpha() and int(digest[i], 16) >= 8 else ch for i, ch in enumerate(hexaddr))


# ---------------------------------------------------------------- bech32 (BIP-173)
BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_GEN = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)


def _polymod(values: list[int]) -> int:
    chk = 1
    for v in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            if (top >> i) & 1:
                chk ^= _GEN[i]
    return chk


def _hrp_expand(hrp: str) -> list[int]:
    return [ord(x) >> 5 for x in hrp] + [0] + [ord(x) & 31 for x in hrp]


def convertbits(data: bytes | list[int], frombits: int, tobits: int, pad: bool = True) -> list[int]:
    acc = bits = 0
    out: list[int] = []
    maxv = (1 << tobits) - 1
    for value in data:
        acc = (acc << frombits) | value
        bits += frombits
        while bits >= tobits:
            bits -= tobits
            out.append((acc >> bits) & maxv)
    if pad and bits:
        out.append((acc << (tobits - bits)) & maxv)
    return out


def bech32_encode(hrp: str, data5: list[int]) -> str:
    pm = _polymod(_hrp_expand(hrp) + data5 + [0] * 6) ^ 1
    checksum = [(pm >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(BECH32[d] for d in data5 + checksum)


def segwit_address(hrp: str, program: bytes, version: int = 0) -> str:
    return bech32_encode(hrp, [version] + convertbits(program, 8, 5))


# ---------------------------------------------------------------- base58
B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
RIPPLE58 = "rpshnaf39wBUDNEGHJKLM4PQRST7VWXYZ2bcdeCg65jkm8oFqi1tuvAxyz"


def b58encode(data: bytes, alphabet: str = B58) -> str:
    n = int.from_bytes(data, "big")
    out = ""
    while n:
        n, r = divmod(n, 58)
        out = alphabet[r] + out
    pad = len(data) - len(data.lstrip(b"\x00"))
    return alphabet[0] * pad + out


def b58check(payload: bytes, alphabet: str = B58) -> str:
    return b58encode(payload + hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4], alphabet)


def ss58(pubkey: bytes, prefix: int) -> str:
    """SS58 address of a 32-byte public key (one-byte prefixes 0-63)."""
    if not 0 <= prefix < 64:
        raise ValueError("one-byte SS58 prefixes only")
    data = bytes([prefix]) + pubkey
    checksum = hashlib.blake2b(b"SS58PRE" + data, digest_size=64).digest()[:2]
    return b58encode(data + checksum)


def monero_address(spend: bytes, view: bytes, netbyte: int = 18) -> str:
    data = bytes([netbyte]) + spend + view
    data += keccak256(data)[:4]
    out = ""
    for i in range(0, len(data), 8):
        block = data[i:i + 8]
        width = {8: 11, 5: 7}[len(block)]
        n = int.from_bytes(block, "big")
        chars = ""
        while n:
            n, r = divmod(n, 58)
            chars = B58[r] + chars
        out += chars.rjust(width, B58[0])
    return out


# ---------------------------------------------------------------- others
def crc16_xmodem(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
    return crc


def stellar_address(key: bytes) -> str:
    payload = bytes([6 << 3]) + key  # version byte of an account id: 'G'
    return base64.b32encode(payload + crc16_xmodem(payload).to_bytes(2, "little")).decode().rstrip("=")


def _cashaddr_polymod(values: list[int]) -> int:
    c = 1
    for d in values:
        c0 = c >> 35
        c = ((c & 0x07FFFFFFFF) << 5) ^ d
        for bit, g in ((1, 0x98F2BC8E61), (2, 0x79B76D99E2), (4, 0xF33E5FB3C4), (8, 0xAE2EABE2A8), (16, 0x1E4F43E470)):
            if c0 & bit:
                c ^= g
    return c ^ 1


def cashaddr(hash160: bytes, prefix: str = "bitcoincash") -> str:
    payload = convertbits(bytes([0]) + hash160, 8, 5)  # version 0: P2PKH, 160-bit hash
    pm = _cashaddr_polymod([ord(x) & 31 for x in prefix] + [0] + payload + [0] * 8)
    checksum = [(pm >> 5 * (7 - i)) & 31 for i in range(8)]
    return prefix + ":" + "".join(BECH32[d] for d in payload + checksum)


def tezos_address(pubkey: bytes) -> str:
    return b58check(bytes([6, 161, 159]) + hashlib.blake2b(pubkey, digest_size=20).digest())


def filecoin_address(payload20: bytes) -> str:
    checksum = hashlib.blake2b(b"\x01" + payload20, digest_size=4).digest()
    return "f1" + base64.b32encode(payload20 + checksum).decode().lower().rstrip("=")


def algorand_address(pubkey: bytes) -> str:
    checksum = hashlib.new("sha512_256", pubkey).digest()[-4:]
    return base64.b32encode(pubkey + checksum).decode().rstrip("=")


# ---------------------------------------------------------------- addresses of the exchange
def _material(account: str, asset: str, index: int, n: int) -> bytes:
    out = b""
    counter = 0
    while len(out) < n:
        out += hashlib.sha512(f"kraken-ops:{account}:{asset}:{index}:{counter}".encode()).digest()
        counter += 1
    return out[:n]


def deposit_address(kind: str, account: str, asset: str, index: int = 0) -> dict[str, Any] | None:
    """``{"address": ..., ["tag" | "memo": ...]}`` for one funding method's address kind, or
    None for methods without addresses (``fiat``). Deterministic in (account, asset, index)."""
    m = _material(account, asset, index, 96)
    base, _, extra = kind.partition("+")
    name, _, arg = base.partition(":")
    if name == "fiat":
        return None
    if name == "bech32":
        address = segwit_address(arg, m[:20]) if not extra else bech32_encode(arg, convertbits(m[:20], 8, 5))
    elif name == "eth":
        address = eip55(m[:20])
    elif name == "ss58":
        address = ss58(m[:32], int(arg))
    elif name == "base58check":
        address = b58check(bytes.fromhex(arg) + m[:20])
    elif name == "xrp":
        address = b58check(b"\x00" + m[:20], RIPPLE58)
    elif name == "stellar":
        address = stellar_address(m[:32])
    elif name == "cashaddr":
        address = cashaddr(m[:20])
    elif name == "monero":
        address = monero_address(m[:32], m[32:64])
    elif name == "cardano":
        address = bech32_encode("addr", convertbits(b"\x61" + m[:28], 8, 5))
    elif name == "solana":
        address = b58encode(m[:32])
    elif name == "tezos":
        address = tezos_address(m[:32])
    elif name == "filecoin":
        address = filecoin_address(m[:20])
    elif name == "algorand":
        address = algorand_address(m[:32])
    elif name == "hex64":
        address = m[:32].hex()
    elif name == "0xhex64":
        address = "0x" + m[:32].hex()
    else:
        raise ValueError(f"unknown address kind {kind!r}")
    out: dict[str, Any] = {"address": address}
    if extra in ("tag", "memo"):
        out[extra] = str(int.from_bytes(m[64:68], "big") % 4_000_000_000 + 1)
    return out


__all__ = ["deposit_address", "keccak256", "eip55", "segwit_address", "bech32_encode", "ss58", "b58check",
           "b58encode", "cashaddr", "monero_address", "stellar_address"]
