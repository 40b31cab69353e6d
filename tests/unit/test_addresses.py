"""The address encoders of the local exchange against published test vectors."""

from __future__ import annotations

import hashlib

import pytest

from kraken_ops.exchange import addresses as A


@pytest.mark.parametrize("data, digest", [
    (b"", "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"),
    (b"abc", "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45"),
])
def test_keccak256_vectors(data: bytes, digest: str) -> None:
    assert A.keccak256(data).hex() == digest


@pytest.mark.parametrize("n", [0, 1, 135, 136, 137, 272, 1000])
def test_the_keccak_permutation_is_the_one_of_sha3(n: int) -> None:
    data = bytes(i % 251 for i in range(n))
    assert A.keccak256(data, pad=0x06) == hashlib.sha3_256(data).digest()


@pytest.mark.parametrize("address", [  # EIP-55's own examples
    "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
    "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB", "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
])
def test_eip55_vectors(address: str) -> None:
    assert A.eip55(bytes.fromhex(address[2:])) == address


def test_bip173_segwit_vector() -> None:
    assert A.segwit_address("bc", bytes.fromhex("751e76e8199196d454941c45d1b3a323f1433bd6")) == \
        "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"


def test_ss58_vectors() -> None:
    alice = bytes.fromhex("d43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d")
    assert A.ss58(alice, 42) == "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"  # Substrate's dev account
    assert A.ss58(alice, 0) == "15oF4uVJwmo4TdGW7VfQxNLavjCXviqxT9S1MgbjMNHr6Sp5"   # ... on Polkadot


def test_cashaddr_vector() -> None:  # the CashAddr specification's first example
    assert A.cashaddr(bytes.fromhex("f5bf48b397dae70be82b3cca4793f8eb2b6cdac9")) == \
        "bitcoincash:qr6m7j9njldwwzlg9v7v53unlr4jkmx6eylep8ekg2"


def test_base58check_vector() -> None:  # Bitcoin's P2PKH of the zero hash
    assert A.b58check(b"\x00" + bytes(20)) == "1111111111111111111114oLvT2"
