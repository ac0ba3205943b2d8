"""Quantities read exactly as apimachinery reads them: the cases of k8s.io/apimachinery's quantity_test.go
(TestQuantityParse, TestParseQuantityString, TestJSONWhitespace), then what a GPU device count makes of them."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest

from tenantguard.policies.quantity import QuantityError, device_count, parse_quantity, quantity_of


def dec(mantissa: int, exponent: int) -> Fraction:
    """apimachinery's test helper decQuantity(m, e): m x 10^e."""
    return Fraction(mantissa) * Fraction(10) ** exponent


MAX_ALLOWED = Fraction(2**63 - 1)  # apimachinery's maxAllowed: the binarySI cap

# TestQuantityParse's table, in its order.
PARSED = [
    ("0", dec(0, 0)), ("0n", dec(0, 0)), ("0u", dec(0, 0)), ("0m", dec(0, 0)), ("0Ki", dec(0, 0)),
    ("0k", dec(0, 0)), ("0Mi", dec(0, 0)), ("0M", dec(0, 0)), ("0Gi", dec(0, 0)), ("0G", dec(0, 0)),
    ("0Ti", dec(0, 0)), ("0T", dec(0, 0)),
    # Quantity less numbers are allowed
    ("1", dec(1, 0)),
    # Binary suffixes
    ("1Ki", dec(1024, 0)), ("8Ki", dec(8 * 1024, 0)), ("7Mi", dec(7 * 1024**2, 0)), ("6Gi", dec(6 * 1024**3, 0)),
    ("5Ti", dec(5 * 1024**4, 0)), ("4Pi", dec(4 * 1024**5, 0)), ("3Ei", dec(3 * 1024**6, 0)),
    ("10Ti", dec(10 * 1024**4, 0)), ("100Ti", dec(100 * 1024**4, 0)),
    # Decimal suffixes
    ("5n", dec(5, -9)), ("4u", dec(4, -6)), ("3m", dec(3, -3)), ("9", dec(9, 0)), ("8k", dec(8, 3)),
    ("50k", dec(5, 4)), ("7M", dec(7, 6)), ("6G", dec(6, 9)), ("5T", dec(5, 12)), ("40T", dec(4, 13)),
    ("300T", dec(3, 14)), ("2P", dec(2, 15)), ("1E", dec(1, 18)),
    # Decimal exponents
    ("1E-3", dec(1, -3)), ("1e3", dec(1, 3)), ("1E6", dec(1, 6)), ("1e9", dec(1, 9)), ("1E12", dec(1, 12)),
    ("1e15", dec(1, 15)), ("1E18", dec(1, 18)),
    # Nonstandard but still parsable
    ("1e14", dec(1, 14)), ("1e13", dec(1, 13)), ("100.035k", dec(100035, 0)),
    # Things that look like floating point
    ("0.001", dec(1, -3)), ("0.0005k", dec(5, -1)), ("0.005", dec(5, -3)), ("0.05", dec(5, -2)),
    ("0.5", dec(5, -1)), ("0.00050k", dec(5, -1)), ("0.00500", dec(5, -3)), ("0.05000", dec(5, -2)),
    ("0.50000", dec(5, -1)), ("0.5e0", dec(5, -1)), ("0.5e-1", dec(5, -2)), ("0.5e-2", dec(5, -3)),
    ("10.035M", dec(10035, 3)), ("1.2e3", dec(12, 2)), ("1.3E+6", dec(13, 5)), ("1.40e9", dec(14, 8)),
    ("1.53E12", dec(153, 10)), ("1.6e15", dec(16, 14)), ("1.7E18", dec(17, 17)),
    ("9.01", dec(901, -2)), ("8.1k", dec(81, 2)), ("7.123456M", dec(7123456, 0)),
    ("6.987654321G", dec(6987654321, 0)), ("5.444T", dec(5444, 9)), ("40.1T", dec(401, 11)),
    ("300.2T", dec(3002, 11)), ("2.5P", dec(25, 14)), ("1.01E", dec(101, 16)),
    # Things that saturate/round
    ("3.001n", dec(4, -9)), ("1.1E-9", dec(2, -9)), ("0.0000000001", dec(1, -9)), ("0.0000000005", dec(1, -9)),
    ("0.00000000050", dec(1, -9)), ("0.5e-9", dec(1, -9)), ("0.9n", dec(1, -9)), ("0.00000012345", dec(124, -9)),
    ("0.00000012354", dec(124, -9)), ("9Ei", MAX_ALLOWED), ("9223372036854775807Ki", MAX_ALLOWED),
    ("12E", dec(12, 18)),
    # We'll accept fractional binary stuff, too.
    ("100.035Ki", dec(10243584, -2)), ("0.5Mi", dec(512 * 1024, 0)), ("0.05Gi", dec(536870912, -1)),
    ("0.025Ti", dec(274877906944, -1)),
    # Things written by trolls
    ("0.000000000001Ki", dec(2, -9)), (".001", dec(1, -3)), (".0001k", dec(100, -3)), ("1.", dec(1, 0)),
    ("1.G", dec(1, 9)),
]  # fmt: skip

INVALID = ["1.1.M", "1+1.0M", "0.1mi", "0.1am", "aoeu", ".5i", "1i", "-3.01i", "-3.01e-", " 1", "1 ", ""]


@pytest.mark.parametrize(("text", "value"), PARSED, ids=[t for t, _ in PARSED])
def test_parse_as_apimachinery(text: str, value: Fraction) -> None:
    assert parse_quantity(text) == value
    assert parse_quantity("+" + text) == value, "an explicit + changes nothing"
    assert parse_quantity("-" + text) == -value, "the negative of everything"


@pytest.mark.parametrize("text", INVALID, ids=repr)
def test_invalid_as_apimachinery(text: str) -> None:
    with pytest.raises(QuantityError):
        parse_quantity(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        pytest.param(".", Fraction(0), id="a-dot-is-zero"),  # TestParseQuantityString: num "0"
        pytest.param("-.", Fraction(0), id="minus-dot"),
        pytest.param("+", Fraction(0), id="a-sign-is-zero"),
        pytest.param("1.9999999999", Fraction(2), id="rounded-up-at-nano"),
        pytest.param("1e4294967297", Fraction(10), id="exponent-wraps-as-int32"),
        pytest.param("1e400", Fraction(10**40), id="clamped-not-computed"),
        pytest.param("1e-400", Fraction(1, 10**9), id="below-a-nano-rounds-up"),
    ],
)
def test_edges(text: str, value: Fraction) -> None:
    assert parse_quantity(text) == value


def test_long_and_digitless_inputs_are_refused() -> None:
    with pytest.raises(QuantityError):
        parse_quantity("1" * 300)
    with pytest.raises(QuantityError):
        parse_quantity(".e-10")  # apimachinery's inf.Dec path finds no digit
    with pytest.raises(QuantityError):
        parse_quantity("1e99999999999999999999")  # the exponent is not an int64


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param('" 1"'.strip('"'), Fraction(1), id="json-string-leading-space"),
        pytest.param("1 ", Fraction(1), id="json-string-trailing-space"),
        pytest.param(10, Fraction(10), id="json-number"),
        pytest.param(-1, Fraction(-1), id="negative-number"),
        pytest.param(10.0, Fraction(10), id="float-from-1e1-json"),
        pytest.param(0.1, Fraction(1, 10), id="float-read-from-its-decimal"),
    ],
)
def test_json_values(value: Any, expected: Fraction) -> None:
    """TestJSONWhitespace: Quantity.UnmarshalJSON trims whitespace; numbers are read from their text."""
    assert quantity_of(value) == expected


@pytest.mark.parametrize("value", [None, True, [1], {"n": 1}, float("inf"), float("nan")], ids=repr)
def test_json_values_that_are_not_quantities(value: Any) -> None:
    with pytest.raises(QuantityError):
        quantity_of(value)


@pytest.mark.parametrize(
    ("value", "count", "problem"),
    [
        pytest.param("1e1", 10, "", id="ten"),
        pytest.param("0.01k", 10, "", id="ten-again"),
        pytest.param("2000m", 2, "", id="milli-whole"),
        pytest.param("0.5", 1, "not a whole number", id="half-counts-one-and-says-so"),
        pytest.param("1500m", 2, "not a whole number", id="fraction-rounded-up"),
        pytest.param("-1", 0, "negative", id="negative"),
        pytest.param("lots", 0, "not a quantity", id="malformed"),
    ],
)
def test_device_count(value: Any, count: int, problem: str) -> None:
    found = device_count(value)
    assert found.count == count
    assert (problem in found.problem) if problem else found.problem == ""
