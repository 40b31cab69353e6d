"""The CLI accepts only Kraken's number grammar (issue 10, item 8).

Python reads ``1_000``, ``1e3`` and full-width ``０.０１`` as numbers; Kraken does not.
Each parser of ``kraken_ops.cli.params`` is specified by properties (hypothesis, with a
fixed example budget): everything Kraken accepts comes back unchanged, and anything
with a character Kraken would not read is refused. The command-line tests check that a
refusal is one line on stderr and exit code 2, before anything is sent.
"""

from __future__ import annotations

import string
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kraken_ops.cli.params import (
    MAX_TIME,
    csv_list,
    one_or_many,
    parse_amend_price,
    parse_decimal,
    parse_float,
    parse_integer,
    parse_price,
    parse_profile_name,
    parse_time,
)

BUDGET = settings(max_examples=200, deadline=None, derandomize=True)

digits = st.text(alphabet="0123456789", min_size=1, max_size=12)
plain_decimals = st.builds(lambda i, f: i + ("." + f if f else ""), digits, st.one_of(st.just(""), digits))
# characters that are never part of Kraken's numbers, though Python may read some as digits or separators
foreign = st.sampled_from(["_", "e", "E", " ", ",", "０", "１", "٣", "۵", "²", "\u00a0", "+", "-", "/", "x", "∞", "½"])


def spoiled(text: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """``text`` with one foreign character put somewhere in it."""
    return st.builds(lambda t, c, i: t[: i % (len(t) + 1)] + c + t[i % (len(t) + 1) :], text, foreign, st.integers(0, 30))


# --- decimals -----------------------------------------------------------------------------------
@BUDGET
@given(plain_decimals)
def test_every_plain_decimal_is_accepted_unchanged(text: str) -> None:
    assert parse_decimal(text) == text
    assert Decimal(text) >= 0


@BUDGET
@given(st.decimals(min_value=0, max_value=10**12, allow_nan=False, allow_infinity=False, places=8))
def test_a_decimal_written_plainly_is_accepted(value: Decimal) -> None:
    text = format(value, "f")
    assert parse_decimal(text) == text


@BUDGET
@given(spoiled(plain_decimals))
def test_a_decimal_with_any_foreign_character_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_decimal(text)


@pytest.mark.parametrize("text", ["０.０１", "1_000", "1e3", "1E-5", ".5", "5.", "-1", "+1", " 1", "1 ", "NaN", "Infinity", "", "0x10", "1.2.3"])
def test_known_non_kraken_decimals_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_decimal(text)


# --- prices ---------------------------------------------------------------------------------------
relative = st.builds(lambda p, d, pct: p + d + pct, st.sampled_from(["+", "-", "#"]), plain_decimals, st.sampled_from(["", "%"]))


@BUDGET
@given(st.one_of(plain_decimals, relative))
def test_prices_absolute_and_relative_are_accepted_unchanged(text: str) -> None:
    assert parse_price(text) == text


@BUDGET
@given(spoiled(st.one_of(plain_decimals, relative)))
def test_a_price_with_a_foreign_character_is_refused(text: str) -> None:
    if text[:1] in "+-#" and text[1:2] not in "+-#" and parse_ok(text):
        return  # the foreign character was a sign that made another valid relative price
    with pytest.raises(ValueError):
        parse_price(text)


def parse_ok(text: str) -> bool:
    try:
        parse_price(text)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("text", ["1%", "%1", "++1", "+-1", "#", "+", "1_0", "+１", "+1e2", "+1%%"])
def test_malformed_prices_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_price(text)


def test_amend_prices_take_only_plus_and_minus() -> None:
    assert parse_amend_price("+1.5%") == "+1.5%" and parse_amend_price("-2") == "-2" and parse_amend_price("3") == "3"
    with pytest.raises(ValueError):
        parse_amend_price("#2%")


# --- times ----------------------------------------------------------------------------------------
@BUDGET
@given(st.integers(0, MAX_TIME), st.booleans())
def test_times_within_32_bits_are_accepted(value: int, relative_: bool) -> None:
    text = ("+" if relative_ else "") + str(value)
    assert parse_time(text) == text


@BUDGET
@given(st.integers(MAX_TIME + 1, 10**40), st.booleans())
def test_times_that_overflow_are_refused(value: int, relative_: bool) -> None:
    with pytest.raises(ValueError):
        parse_time(("+" if relative_ else "") + str(value))


@BUDGET
@given(spoiled(digits))
def test_a_time_with_a_foreign_character_is_refused(text: str) -> None:
    if text.startswith("+") and text[1:].isascii() and text[1:].isdigit() and int(text[1:]) <= MAX_TIME:
        return  # "+" in front is Kraken's relative time
    with pytest.raises(ValueError):
        parse_time(text)


# --- integers and seconds -------------------------------------------------------------------------
@BUDGET
@given(st.integers(-(2**63), 2**63 - 1))
def test_integers_in_range_are_read(value: int) -> None:
    assert parse_integer(str(value)) == value


@BUDGET
@given(spoiled(digits))
def test_integers_with_foreign_characters_are_refused(text: str) -> None:
    if text.startswith("-") and text[1:].isascii() and text[1:].isdigit():
        return  # a minus sign in front is a negative integer
    with pytest.raises(ValueError):
        parse_integer(text)


@BUDGET
@given(st.integers(2**63, 10**30))
def test_integers_beyond_64_bits_are_refused(value: int) -> None:
    with pytest.raises(ValueError):
        parse_integer(str(value))


@BUDGET
@given(plain_decimals)
def test_seconds_are_plain_decimals(text: str) -> None:
    assert parse_float(text) == float(text)


@BUDGET
@given(spoiled(plain_decimals))
def test_seconds_with_foreign_characters_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_float(text)


# --- profile names and lists ----------------------------------------------------------------------
@BUDGET
@given(st.text(alphabet=" \t\n\u00a0\u2003", max_size=5))
def test_blank_profile_names_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_profile_name(text)


@BUDGET
@given(st.text(alphabet=string.ascii_letters + string.digits + "_-.", min_size=1, max_size=20))
def test_profile_names_are_kept(text: str) -> None:
    assert parse_profile_name(text) == text


items = st.lists(st.text(alphabet=string.ascii_letters + string.digits + "/-.", min_size=1, max_size=8), max_size=6)


@BUDGET
@given(items, st.integers(1, 3))
def test_comma_lists_and_repeated_options_give_the_same_items(values: list[str], chunk: int) -> None:
    repeated = [",".join(values[i : i + chunk]) for i in range(0, len(values), chunk)]
    assert csv_list(repeated) == (values or None)
    many = one_or_many(repeated)
    assert many == (None if not values else values[0] if len(values) == 1 else values)


# --- on the command line: one line, exit 2, nothing sent ------------------------------------------
CREATE = ("orders", "create", "--pair", "XBTUSD", "--side", "buy", "--type", "limit")


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (CREATE + ("--volume", "０.０１", "--price", "1000"), "--volume"),
        (CREATE + ("--volume", "1_000", "--price", "1000"), "--volume"),
        (CREATE + ("--volume", "1", "--price", "1e3"), "--price"),
        (CREATE + ("--volume", "1", "--price", "1000", "--expire", "+99999999999999999999"), "--expire"),
        (CREATE + ("--volume", "1", "--price", "1000", "--tif", "GTD", "--expire", "１７００００００００"), "--expire"),
        (CREATE + ("--volume", "1", "--price", "1000", "--start", "4294967296"), "--start"),
        (CREATE + ("--volume", "1", "--price", "1000", "--userref", "1_000"), "--userref"),
        (("orders", "list", "--userref", "１２"), "--userref"),
        (("orders", "closed", "--offset", "1_0"), "--offset"),
        (("orders", "amend", "OABC", "--price", "#1%"), "--price"),
        (("market", "book", "XBTUSD", "--count", "1e2"), "--count"),
        (("--timeout", "1_0", "market", "time"), "--timeout"),
        (("market", "time", "--profile", ""), "--profile"),
        (("--profile", " ", "balances"), "--profile"),
    ],
)
def test_non_kraken_numbers_and_empty_profiles_are_one_line_and_exit_2(cli: Any, args: tuple[str, ...], option: str) -> None:
    cli.add_profile("bot1")
    requests_before = len(cli.exchange.ctx.rest_counter.values)
    result = cli(*args, "-p", "bot1") if "--profile" not in args else cli(*args)
    assert result.exit_code == 2, result.stderr
    assert result.stderr.count("\n") == 1 and result.stderr.startswith(f"error: {option} ")
    assert result.stdout == ""
    assert len(cli.exchange.ctx.rest_counter.values) == requests_before


def test_kraken_relative_prices_still_pass(cli: Any) -> None:
    cli.add_profile("bot1")
    result = cli(*CREATE, "--volume", "0.01", "--price", "-5%", "--validate", "-p", "bot1", "-o", "json")
    assert "is not a price" not in result.stderr
