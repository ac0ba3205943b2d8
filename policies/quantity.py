"""Kubernetes resource quantities, read exactly as apimachinery's `resource.ParseQuantity` reads them.

    <quantity>        ::= <signedNumber><suffix>
    <number>          ::= <digits> | <digits>.<digits> | <digits>. | .<digits>
    <suffix>          ::= <binarySI> | <decimalExponent> | <decimalSI>
    <binarySI>        ::= Ki | Mi | Gi | Ti | Pi | Ei
    <decimalSI>       ::= n | u | m | "" | k | M | G | T | P | E
    <decimalExponent> ::= "e" <signedNumber> | "E" <signedNumber>

So `1e1` is ten, `0.01k` is ten, `1Ki` is 1024. The value is exact (a Fraction) with apimachinery's own
adjustments kept: a non-zero value finer than 1n is rounded away from zero to whole nanos (`0.9n` is `1n`, and
`1.9999999999` is `2`), a binary-suffixed value is capped at 2^63-1, the exponent wraps as Go's int32 does, and a
bare sign or dot is zero. Reading a JSON value trims surrounding whitespace, as `Quantity.UnmarshalJSON` does.

Extended resources such as `nvidia.com/gpu` and MIG slices must be whole and non-negative: kube-apiserver refuses
a Pod whose quantity is negative or whose `MilliValue() % 1000 != 0` ("must be an integer"). Objects it does not
validate that way (custom resources that embed pod specs) can carry any string; `device_count` says what such a
value counts as and what is wrong with it. Inputs longer than 256 characters are refused, and magnitudes beyond
10^40 are clamped: no device count or cap comes near either.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import Any

MAX_LENGTH = 256
HUGE = Fraction(10**40)
NANO = Fraction(1, 10**9)
BINARY_CAP = Fraction(2**63 - 1)
_DECIMAL = {"": 0, "n": -9, "u": -6, "m": -3, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_BINARY = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_SUFFIX_CHARS = frozenset("eEinumkKMGTP")
_DIGITS = frozenset("0123456789")
_GO_INT = re.compile(r"^[+-]?[0-9]+$")  # strconv.ParseInt(s, 10, 64): no spaces, no underscores


class QuantityError(ValueError):
    """Not a Kubernetes quantity; the message says why, the way a tenant developer can fix it."""


@dataclass(frozen=True, slots=True)
class _Parts:
    positive: bool
    num: str  # integer digits, leading zeros stripped ("0" when none)
    denom: str  # fraction digits
    suffix: str
    has_digit: bool


def _scan(text: str) -> _Parts:
    """apimachinery's parseQuantityString: sign, digits, fraction, then a suffix of suffix letters, an optional
    sign and digits. Anything after that is an error."""
    end = len(text)
    pos = 0
    positive = True
    if text[0] in "+-":
        positive = text[0] == "+"
        pos = 1
    while pos < end and text[pos] == "0":
        pos += 1
    if pos >= end:  # only a sign and zeros: zero, whatever follows the sign
        return _Parts(positive, "0", "", "", True)
    start = pos
    while pos < end and text[pos] in _DIGITS:
        pos += 1
    num = text[start:pos]
    has_digit = pos > 1 if text[0] in "+-" else pos > 0
    denom = ""
    if pos < end and text[pos] == ".":
        pos += 1
        start = pos
        while pos < end and text[pos] in _DIGITS:
            pos += 1
        denom = text[start:pos]
        has_digit = has_digit or bool(denom)
    suffix_start = pos
    while pos < end and text[pos] in _SUFFIX_CHARS:
        pos += 1
    if pos < end and text[pos] in "+-":
        pos += 1
    while pos < end and text[pos] in _DIGITS:
        pos += 1
    if pos < end:
        raise QuantityError(f"{text!r} is not a quantity (e.g. 1, 2, 500m, 1e3, 1Ki)")
    return _Parts(positive, num or "0", denom, text[suffix_start:], has_digit)


def _exponent(suffix: str, text: str) -> tuple[int, int]:
    """(base, exponent) of a suffix; Go parses a decimal exponent as int64 and keeps it as int32."""
    if suffix in _DECIMAL:
        return 10, _DECIMAL[suffix]
    if suffix in _BINARY:
        return 2, _BINARY[suffix]
    if len(suffix) > 1 and suffix[0] in "eE" and _GO_INT.match(suffix[1:]):
        parsed = int(suffix[1:])
        if -(2**63) <= parsed < 2**63:
            return 10, (parsed + 2**31) % 2**32 - 2**31
    raise QuantityError(f"{text!r}: unknown suffix {suffix!r} (use n, u, m, k, M, G, T, P, E, Ki…Ei or e<exponent>)")


def parse_quantity(text: str) -> Fraction:
    """The value of a quantity string, or QuantityError. No surrounding whitespace is allowed here."""
    if not text:
        raise QuantityError("empty quantity")
    if len(text) > MAX_LENGTH:
        raise QuantityError(f"quantity longer than {MAX_LENGTH} characters")
    if text == "0":
        return Fraction(0)
    parts = _scan(text)
    base, exponent = _exponent(parts.suffix, text)
    digits = (parts.num + parts.denom).lstrip("0")
    if not digits:
        # apimachinery's exact int64 path reads "." as zero; its inf.Dec path (finer than 1n) needs a digit.
        if base == 10 and exponent - len(parts.denom) < -9 and not parts.has_digit:
            raise QuantityError(f"{text!r} has no digits")
        return Fraction(0)
    if base == 2:
        value = Fraction(int(digits) << exponent, 10 ** len(parts.denom))
    else:
        shift = exponent - len(parts.denom)
        if len(digits) + shift > 40:
            value = HUGE
        elif len(digits) + shift < -9:
            value = NANO  # below one nano: rounded up to it
        else:
            value = Fraction(int(digits) * 10**shift) if shift >= 0 else Fraction(int(digits), 10**-shift)
    if (value / NANO).denominator != 1:
        value = math.ceil(value / NANO) * NANO
    if base == 2:
        value = min(value, BINARY_CAP)
    return value if parts.positive else -value


def quantity_of(value: Any) -> Fraction:
    """The quantity a JSON/YAML value stands for: a string (surrounding whitespace trimmed, as JSON decoding
    does), an integer, or a float (read from its shortest decimal form). QuantityError for anything else."""
    if isinstance(value, bool) or value is None:
        raise QuantityError(f"{value!r} is not a quantity")
    if isinstance(value, int):
        return Fraction(value) if abs(value) < HUGE else (HUGE if value > 0 else -HUGE)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise QuantityError(f"{value!r} is not a quantity")
        return parse_quantity(repr(value))
    if isinstance(value, str):
        return parse_quantity(value.strip())
    raise QuantityError(f"a quantity must be a string or a number, got {type(value).__name__}")


@dataclass(frozen=True, slots=True, kw_only=True)
class DeviceCount:
    """What an extended-resource quantity counts as, and why it is invalid ('' when it is valid).

    A fractional value counts rounded up and a malformed or negative one counts as nothing, but never silently:
    `problem` says what kube-apiserver would say, and GPU010 reports it."""

    count: int
    problem: str = ""


def device_count(value: Any) -> DeviceCount:
    # Every rule that reads a GPU quantity asks again, and the values repeat ("1", 2): parse each once.
    if type(value) in (str, int, float):  # exact types: a bool is not a quantity
        return _cached_count(value)
    return _device_count(value)


@lru_cache(maxsize=1024)
def _cached_count(value: str | int | float) -> DeviceCount:
    return _device_count(value)


def _device_count(value: Any) -> DeviceCount:
    try:
        q = quantity_of(value)
    except QuantityError as err:
        return DeviceCount(count=0, problem=str(err))
    if q < 0:
        return DeviceCount(count=0, problem=f"{value!r} is negative")
    if q.denominator != 1:
        return DeviceCount(
            count=math.ceil(q), problem=f"{value!r} is not a whole number ({float(q):g}); devices are not divisible"
        )
    return DeviceCount(count=int(q))
