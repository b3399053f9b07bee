"""Hostile values for every input of the API: what a careless or malicious client can send.

Every value is a `Hostile`: a label naming its class (for reports), the value itself, and
`refuse`: whether the service must refuse it (a 2xx would mean it took something that some layer
cannot hold, or that means something else than it looks like). Values with `refuse=False` may be
taken (a confusable letter in a name is a name), but must never cause a 5xx or stop a request.

Body values may contain `Raw` JSON text, spliced in as it is by `encode`: invalid UTF-8, JSON
literals Python does not write (`NaN`, `1e999`) and nesting deeper than Python's recursion.
Lone surrogates need no `Raw`: `encode` writes them as JSON escapes (`"\\ud800"`).
"""

from __future__ import annotations

import base64
import copy
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote_from_bytes

from hypothesis import strategies as st

Path = tuple[str | int, ...]

DEEP = 10_000


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 90 else f"{text[:60]}...({len(text)} chars)...{text[-20:]}"


@dataclass(frozen=True)
class Raw:
    """JSON text spliced into a body as it is."""

    text: bytes

    def __repr__(self) -> str:
        return f"Raw({_short(self.text)})"


@dataclass(frozen=True)
class Hostile:
    """A hostile value, its class, and whether the service must refuse it."""

    label: str
    value: Any
    refuse: bool

    def __repr__(self) -> str:
        must = " (must refuse)" if self.refuse else ""
        return f"<{self.label}: {_short(self.value)}{must}>"


def h(label: str, refuse: bool) -> Callable[[Any], Hostile]:
    return lambda value: Hostile(label, value, refuse)


def fixed(*values: tuple[str, Any, bool]) -> st.SearchStrategy[Hostile]:
    return st.sampled_from([Hostile(label, value, refuse) for label, value, refuse in values])


# --- JSON bodies -------------------------------------------------------------------------------


def encode(document: Any) -> bytes:
    """JSON bytes of `document`, with `Raw` parts as they are and lone surrogates escaped."""
    if isinstance(document, Raw):
        return document.text
    if isinstance(document, dict):
        members = (encode(str(k)) + b":" + encode(v) for k, v in document.items())
        return b"{" + b",".join(members) + b"}"
    if isinstance(document, list | tuple):
        return b"[" + b",".join(encode(v) for v in document) + b"]"
    if isinstance(document, str):
        try:
            return json.dumps(document, ensure_ascii=False).encode()
        except UnicodeEncodeError:  # a lone surrogate: only an escape can carry it
            return json.dumps(document).encode()
    return json.dumps(document).encode()


def nodes(document: Any, path: Path = ()) -> list[tuple[Path, Any]]:
    """Every field and item of a JSON document at any depth (not the document itself)."""
    found: list[tuple[Path, Any]] = []
    children: list[tuple[str | int, Any]] = []
    if isinstance(document, dict):
        children = list(document.items())
    elif isinstance(document, list):
        children = list(enumerate(document))
    for key, value in children:
        found.append(((*path, key), value))
        found += nodes(value, (*path, key))
    return found


def replaced(document: Any, path: Path, value: Any) -> Any:
    """A copy of `document` with the node at `path` replaced by `value`."""
    result = copy.deepcopy(document)
    parent = result
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = value
    return result


def where(path: Path) -> str:
    """A path as the API names fields: `$.person.identity.number`, `$.flags[0].comment`."""
    return "$" + "".join(f"[{k}]" if isinstance(k, int) else f".{k}" for k in path)


# --- Text --------------------------------------------------------------------------------------

# C0 controls but tab and line breaks, DEL, C1 controls: no text field may hold them.
CONTROLS = [chr(c) for c in range(0x20) if chr(c) not in "\t\n\r"] + ["\x7f"]
C1 = [chr(c) for c in range(0x80, 0xA0)]
LINE_BREAKS = ["\t", "\n", "\r", "\r\n", "\u2028", "\u2029", "\x0b"]
BIDI = ["\u202e", "\u202d", "\u202a", "\u202b", "\u202c", "\u2066", "\u2067", "\u2068", "\u2069"]
INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u200e", "\u200f", "\u061c"]
NONCHARACTERS = ["\ufffe", "\uffff", "\U0010ffff", "\U000effff", "\ufdd0"]
CONFUSABLES = str.maketrans(
    "aceopxyABCEHKMOPTXi-",
    "асеорхуАВСЕНКМОРТХі‐",  # Cyrillic lookalikes and U+2010 HYPHEN
)
DIGIT_ZEROS = {
    "arabic-indic": 0x0660,
    "extended arabic-indic": 0x06F0,
    "devanagari": 0x0966,
    "bengali": 0x09E6,
    "thai": 0x0E50,
    "fullwidth": 0xFF10,
    "mathematical bold": 0x1D7CE,
}
ODD_TEXT = [
    "'; DROP TABLE handovers; --",
    "\\u0000",
    "%00",
    "${jndi:ldap://example.invalid/x}",
    "{{7*7}}",
    "<script>alert(1)</script>",
    "../../../../etc/passwd",
    "NaN",
    "-Infinity",
    "null",
    " ",
    "\u00a0",
    "\u3000",
    "",
    "e\u0301" * 3,
    "Z" + "\u0336\u0337\u0338" * 30,
    "🚓👮\U0001f9d1\u200d⚖️",
    "𝕋𝕠𝕝𝕧𝕒𝕟",
    "Ｔｏｌｖａｎ",
]


def unicode_digits(text: str, zero: int) -> str:
    return "".join(chr(zero + int(c)) if c.isascii() and c.isdigit() else c for c in text)


def _insert(original: str, char: str, at: str) -> str:
    match at:
        case "start":
            return char + original
        case "middle":
            half = len(original) // 2
            return original[:half] + char + original[half:]
        case "alone":
            return char
    return original + char


def _with(original: str, chars: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.builds(_insert, st.just(original), chars, st.sampled_from(("end", "start", "middle")))


def _codepoint_label(prefix: str) -> Callable[[tuple[str, str]], Hostile]:
    def make(pair: tuple[str, str]) -> Hostile:
        char, text = pair
        names = " ".join(f"U+{ord(c):04X}" for c in char)
        return Hostile(f"{prefix} {names}", text, prefix in ("control", "lone surrogate"))

    return make


def _marked(original: str, chars: st.SearchStrategy[str], label: str) -> st.SearchStrategy[Hostile]:
    return chars.flatmap(
        lambda char: _with(original, st.just(char)).map(lambda text: (char, text))
    ).map(_codepoint_label(label))


def texts(original: str) -> st.SearchStrategy[Hostile]:
    """Hostile variants of a text field's valid value."""
    original = original or "x"
    return st.one_of(
        _marked(original, st.sampled_from(CONTROLS), "control"),
        _marked(original, st.integers(0xD800, 0xDFFF).map(chr), "lone surrogate"),
        _marked(original, st.sampled_from(C1), "control"),
        _marked(original, st.sampled_from(BIDI), "bidi"),
        _marked(original, st.sampled_from(INVISIBLE), "invisible"),
        _marked(original, st.sampled_from(LINE_BREAKS), "line break"),
        _marked(original, st.sampled_from(NONCHARACTERS), "noncharacter"),
        st.just(Hostile("confusable", original.translate(CONFUSABLES), False)),
        st.sampled_from(sorted(DIGIT_ZEROS)).map(
            lambda name: Hostile(
                f"{name} digits", unicode_digits(original + " 12", DIGIT_ZEROS[name]), False
            )
        ),
        st.sampled_from([4001, 100_001, 1_000_000]).map(
            lambda n: Hostile(f"huge text ({n} chars)", "x" * n, True)
        ),
        st.just(Hostile("long multibyte text (4000 chars)", "Ö" * 4000, False)),
        st.sampled_from(ODD_TEXT).map(h("odd text", False)),
        invalid_utf8(original),
        # Anything at all: hypothesis' own text (controls and surrogates included).
        st.text(min_size=1, max_size=30).map(lambda t: Hostile("random text", t, _unholdable(t))),
    )


def _unholdable(text: str) -> bool:
    return any(c in CONTROLS or c in C1 or 0xD800 <= ord(c) <= 0xDFFF for c in text)


def invalid_utf8(original: str) -> st.SearchStrategy[Hostile]:
    base = json.dumps(original, ensure_ascii=False).encode()[1:-1]
    return st.sampled_from(
        [
            Hostile("invalid UTF-8 (0xFF)", Raw(b'"' + base + b'\xff"'), True),
            Hostile("invalid UTF-8 (Latin-1 ö)", Raw(b'"' + base + b'\xf6"'), True),
            Hostile("invalid UTF-8 (encoded surrogate)", Raw(b'"' + base + b'\xed\xa0\x80"'), True),
            Hostile("invalid UTF-8 (overlong NUL)", Raw(b'"' + base + b'\xc0\x80"'), True),
            Hostile("invalid UTF-8 (beyond U+10FFFF)", Raw(b'"\xf4\x90\x80\x80"'), True),
            Hostile("invalid UTF-8 (truncated)", Raw(b'"' + base + b'\xe2\x82"'), True),
            Hostile("escaped surrogate pair halves", Raw(b'"\\udc00\\ud800"'), True),
            Hostile("escaped NUL", Raw(b'"' + base + b'\\u0000"'), True),
        ]
    )


# --- Numbers, types, nesting -------------------------------------------------------------------

EXTREME_NUMBERS: list[Any] = [
    2**63,
    -(2**63) - 1,
    2**64,
    10**30,
    1e308,
    -1e308,
    5e-324,
    -1,
    0,
    1.5,
    Raw(b"1e999"),
    Raw(b"-1e999"),
    Raw(b"NaN"),
    Raw(b"Infinity"),
    Raw(b"-0"),
    Raw(b"01"),
    Raw(b"1" * 5000),
]


def numbers() -> st.SearchStrategy[Hostile]:
    """Numbers where no number is expected (every body field is text, time, list or flag)."""
    return st.one_of(
        st.sampled_from(EXTREME_NUMBERS).map(h("extreme number", True)),
        st.integers().map(h("integer", True)),
        st.floats(allow_nan=False, allow_infinity=False).map(h("float", True)),
    )


def nested() -> st.SearchStrategy[Hostile]:
    return st.sampled_from(
        [
            Hostile(f"{DEEP} nested arrays", Raw(b"[" * DEEP + b"]" * DEEP), True),
            Hostile(f"{DEEP} nested objects", Raw(b'{"a":' * DEEP + b"1" + b"}" * DEEP), True),
            Hostile("unclosed nesting", Raw(b"[" * DEEP), True),
            Hostile("200 nested arrays", Raw(b"[" * 200 + b"]" * 200), True),
        ]
    )


def wrong_types(kind: str) -> st.SearchStrategy[Hostile]:
    """Values of another JSON type than the field's (`null` may be a valid absent value)."""
    values: list[tuple[str, Any, bool]] = [
        ("null", None, False),
        ("true", True, kind != "bool"),
        ("empty array", [], kind != "list"),
        ("empty object", {}, kind != "object"),
        ("array of text", ["x"], kind != "list"),
        ("operator object", {"$ne": None}, True),
        ("array in array", [[]], True),
        ("object in array", [{"a": 1}], True),
    ]
    if kind != "text":
        values.append(("text", "x", True))
    return fixed(*values)


def bool_likes() -> st.SearchStrategy[Hostile]:
    return fixed(
        ("text 'true'", "true", True),
        ("text 'false'", "false", True),
        ("number 1", 1, True),
        ("number 0", 0, True),
        ("text 'yes'", "yes", True),
        ("text '1'", "1", True),
    )


def lists(original: list[Any]) -> st.SearchStrategy[Hostile]:
    item = original[0] if original else "x"
    return fixed(
        ("array of null", [None], True),
        ("1000 items", [item] * 1000, True),
        ("100000 items", Raw(b"[" + b",".join([b"0"] * 100_000) + b"]"), True),
        ("text instead of array", "x", True),
        ("object instead of array", {"0": item}, True),
        ("array of numbers", [1, 2], True),
    )


def objects(original: dict[str, Any]) -> st.SearchStrategy[Hostile]:
    return fixed(
        ("array instead of object", [original], True),
        ("text instead of object", json.dumps(original), True),
        ("unknown field", dict(original, **{"\u0000": "x"}), True),
        ("duplicate key", Raw(_duplicated(original)), True),
    )


def _duplicated(original: dict[str, Any]) -> bytes:
    """The object with its first key once more at the end, holding a NUL (last one wins?)."""
    inner = encode(original)
    if not original:
        return b'{"a":"\\u0000","a":"b"}'
    first = next(iter(original))
    return inner[:-1] + b"," + encode(first) + b':"\\u0000"}'


# --- Instants ----------------------------------------------------------------------------------

EARLIEST, LATEST = 1900, 2100


def _out_of_range(value: datetime) -> bool:
    """Clearly outside the years the service computes with (a year of slack at each end)."""
    return not (EARLIEST - 1 <= value.year <= LATEST + 1)


FIXED_INSTANTS: list[tuple[str, Any, bool]] = [
    ("first day of the calendar", "0001-01-01T00:30:00+01:00", True),
    ("last day of the calendar", "9999-12-31T23:30:00-01:00", True),
    ("year 1899", "1899-12-31T23:00:00Z", True),
    ("year 2101", "2101-01-01T00:00:00Z", True),
    ("year 2500", "2500-06-15T12:00:00+02:00", True),
    ("year 0", "0000-01-01T00:00:00Z", True),
    ("year 10000", "10000-01-01T00:00:00Z", True),
    ("signed year", "+002026-11-28T09:30:00Z", True),
    ("30 February", "2026-02-30T10:00:00+01:00", True),
    ("hour 24", "2026-11-28T24:00:00+01:00", True),
    ("no offset", "2026-11-28T09:30:00", True),
    ("offset +25:00", "2026-11-28T09:30:00+25:00", True),
    ("date only", "2026-11-28", True),
    ("epoch seconds", 1764318600, True),
    ("epoch as text", "1764318600", True),
    ("arabic-indic digits", unicode_digits("2026-11-28T09:30:00+01:00", 0x0660), True),
    ("fullwidth digits", unicode_digits("2026-11-28T09:30:00+01:00", 0xFF10), True),
    ("nul in instant", "2026-11-28T09:30:00\x00+01:00", True),
    ("edge of range, UTC 1899", "1900-01-01T00:30:00+01:00", False),
    ("edge of range, UTC 2101", "2100-12-31T23:30:00-01:00", False),
    ("offset +23:59", "2026-11-28T09:30:00+23:59", False),
    ("leap second", "2026-12-31T23:59:60Z", False),
    ("nanoseconds", "2026-11-28T09:30:00.123456789+01:00", False),
    ("lowercase t and z", "2026-11-28t09:30:00z", False),
    ("space separator", "2026-11-28 09:30:00+01:00", False),
]


def _relative(offset: timedelta, whole: bool) -> str:
    at = datetime.now(UTC) + offset
    return (at.replace(microsecond=0) if whole else at).isoformat()


RELATIVE = [
    ("5 s ahead (clock skew)", timedelta(seconds=5), False),
    ("now in whole seconds", timedelta(0), True),
    ("3 minutes ahead", timedelta(minutes=3), False),
    ("a day ago", timedelta(days=-1), False),
    ("a year ahead", timedelta(days=366), False),
    ("40 years ago", timedelta(days=-40 * 365), False),
]

OFFSETS = [
    UTC,
    timezone(timedelta(hours=14)),
    timezone(timedelta(hours=-12)),
    timezone(timedelta(hours=1)),
]


def instants() -> st.SearchStrategy[Hostile]:
    return st.one_of(
        fixed(*FIXED_INSTANTS),
        st.sampled_from(RELATIVE).map(
            lambda r: Hostile(
                r[0], _relative(r[1], r[2] if r[0].startswith("now") else False), False
            )
        ),
        st.datetimes(
            min_value=datetime(1, 1, 2),
            max_value=datetime(9999, 12, 30),
            timezones=st.sampled_from(OFFSETS),
        ).map(lambda d: Hostile("any instant", d.isoformat(), _out_of_range(d))),
    )


# --- Identity numbers --------------------------------------------------------------------------


def luhn(digits: str) -> int:
    total = 0
    for index, char in enumerate(digits):
        product = int(char) * (2 if index % 2 == 0 else 1)
        total += product - 9 if product > 9 else product
    return (10 - total % 10) % 10


def identity_number(born: date, serial: str = "123", coordination: bool = False) -> str:
    """A valid-looking 12-digit number (check digit right) for a birth date."""
    day = born.day + (60 if coordination else 0)
    nine = f"{born:%y%m}{day:02d}{serial}"
    return f"{born:%Y%m}{day:02d}-{serial}{luhn(nine)}"


def identity_number_values(original: str) -> list[Hostile]:
    """Numbers that look right to a lenient check: other digits, birth dates in the future."""
    coordination = int(original.replace("-", "")[6:8]) > 60
    soon = datetime.now(UTC).date() + timedelta(days=2)
    scripts = [
        Hostile(f"{name} digits", unicode_digits(original, zero), True)
        for name, zero in sorted(DIGIT_ZEROS.items())
    ]
    return [
        *scripts,
        Hostile("superscript digit", original[:-1] + "²", True),
        Hostile(
            "born in 2099", identity_number(date(2099, 12, 12), coordination=coordination), True
        ),
        Hostile(
            "born the day after tomorrow", identity_number(soon, coordination=coordination), True
        ),
        Hostile("born in 2200", identity_number(date(2200, 1, 1), coordination=coordination), True),
        Hostile("fullwidth hyphen", original.replace("-", "－"), True),
        Hostile("minus sign", original.replace("-", "\u2212"), True),
        Hostile("nul", original + "\x00", True),
        Hostile("digits as a number", int(original.replace("-", "")), True),
        Hostile("int64 overflow", 2**63, True),
        Hostile("30 February", "19120230-1212", True),
        Hostile("all zeros", "00000000-0000", True),
        Hostile(
            "born 1899, '+' separator", identity_number(date(1899, 6, 1)).replace("-", "+"), False
        ),
        Hostile("leading space", " " + original, False),
    ]


# --- Fields ------------------------------------------------------------------------------------


def leaf_kind(path: Path, value: Any) -> str:
    name = next((k for k in reversed(path) if isinstance(k, str)), "")
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, str):
        if path[-1:] == ("number",) and "identity" in path:
            return "identity"
        if name.endswith("_at"):
            return "instant"
        return "text"
    return "other"


def for_field(path: Path, value: Any) -> st.SearchStrategy[Hostile]:
    """Hostile replacements for the field at `path` whose valid value is `value`."""
    kind = leaf_kind(path, value)
    specific: list[st.SearchStrategy[Hostile]] = []
    match kind:
        case "identity":
            specific = [st.sampled_from(identity_number_values(value)), texts(value)]
        case "instant":
            specific = [instants(), texts(value)]
        case "text":
            specific = [texts(value)]
        case "bool":
            specific = [bool_likes()]
        case "list":
            specific = [lists(value)]
        case "object":
            specific = [objects(value)]
    return st.one_of(*specific, wrong_types(kind), numbers(), nested())


def known_values(path: Path, value: Any) -> list[Hostile]:
    """The classes issue 7 names, for one field: sent to every field on every run."""
    kind = leaf_kind(path, value)
    common = [
        Hostile("beyond int64", 2**63, True),
        Hostile("below int64", -(2**63) - 1, True),
        Hostile("1e308", 1e308, True),
        Hostile(f"{DEEP} nested arrays", Raw(b"[" * DEEP + b"]" * DEEP), True),
    ]
    if not isinstance(value, str):
        by_kind = {
            "bool": [Hostile("text 'true'", "true", True)],
            "list": [Hostile("array of null", [None], True), Hostile("object", {}, True)],
            "object": [Hostile("array", [value], True)],
        }
        return by_kind.get(kind, []) + common
    unholdable = [
        Hostile("control U+0000", value + "\x00", True),
        Hostile("control U+0085", value[:1] + "\x85" + value[1:], True),
        Hostile("lone surrogate U+D800", value + "\ud800", True),
        Hostile("invalid UTF-8 (0xFF)", Raw(encode(value)[:-1] + b'\xff"'), True),
    ]
    match kind:
        case "identity":
            return identity_number_values(value) + unholdable + common
        case "instant":
            edges = [Hostile(label, v, r) for label, v, r in FIXED_INSTANTS[:5]]
            return edges + unholdable + common
    return [
        *unholdable,
        Hostile("control U+001B", "\x1b" + value, True),
        Hostile("DEL", value + "\x7f", True),
        Hostile("bidi U+202E", "\u202e" + value, False),
        Hostile("confusable", value.translate(CONFUSABLES), False),
        Hostile("huge text (100001 chars)", "x" * 100_001, True),
        *common,
    ]


def extra_fields() -> st.SearchStrategy[Hostile]:
    """A field no body has, under a hostile name (strict bodies refuse unknown fields)."""
    names = ["\u0000", "note\u202e", "__proto__", "constructor", "x" * 10_000, "\ud800", "kind"]
    return st.sampled_from(names).map(h("unknown field", True))


# --- Whole bodies ------------------------------------------------------------------------------


def raw_bodies(valid: bytes) -> list[Hostile]:
    """Bodies that are no valid JSON object of the right shape, built from a valid one."""
    return [
        Hostile("empty body", b"", True),
        Hostile("whitespace body", b" \n", True),
        Hostile("null body", b"null", True),
        Hostile("array body", b"[" + valid + b"]", True),
        Hostile("text body", b'"x"', True),
        Hostile("number body", b"1e999", True),
        Hostile("NaN body", b"NaN", True),
        Hostile(f"{DEEP} nested arrays", b"[" * DEEP + b"]" * DEEP, True),
        Hostile(f"{DEEP} nested objects", b'{"a":' * DEEP + b"1" + b"}" * DEEP, True),
        Hostile(f"{DEEP * 10} open brackets", b"[" * (DEEP * 10), True),
        Hostile("invalid UTF-8 (0xFF) in a value", valid.replace(b'":"', b'":"\xff', 1), True),
        Hostile("invalid UTF-8 (Latin-1 ö) in a value", valid.replace(b'":"', b'":"\xf6', 1), True),
        Hostile("invalid UTF-8 (0xFF) in a key", valid[:-1] + b',"\xff":1}', True),
        Hostile("Latin-1 body", valid.decode().encode("latin-1", "replace") + b" \xf6", True),
        Hostile("invalid UTF-8 byte alone", b"\xff", True),
        Hostile("UTF-16 body", valid.decode().encode("utf-16"), True),
        Hostile("UTF-8 byte order mark", b"\xef\xbb\xbf" + valid, False),
        Hostile("truncated body", valid[: len(valid) // 2], True),
        Hostile("trailing garbage", valid + b"x", True),
        Hostile("two documents", valid + valid, True),
        Hostile("NUL after the body", valid + b"\x00", True),
        Hostile("NUL byte in the body", valid[:1] + b"\x00" + valid[1:], True),
        Hostile("1 MiB of spaces", valid[:1] + b" " * (1 << 20) + valid[1:], False),
        Hostile("8 MiB body", b'{"x":"' + b"x" * (8 << 20) + b'"}', True),
        Hostile("JSON with comments", b"/* hi */" + valid, True),
        Hostile("single-quoted JSON", valid.replace(b'"', b"'"), True),
    ]


# --- Headers -----------------------------------------------------------------------------------
#
# Header values are bytes: what is not ASCII goes on the wire as it is (servers read Latin-1).


def if_match_values(version: int) -> list[Hostile]:
    """If-Match values near the current version: other digits, overflow, odd forms."""
    text = str(version)
    latin1 = {"1": b"\xb9", "2": b"\xb2", "3": b"\xb3"}
    scripts = [
        Hostile(f"version in {name} digits", f'"{unicode_digits(text, zero)}"'.encode(), True)
        for name, zero in sorted(DIGIT_ZEROS.items())
    ]
    return [
        Hostile("superscript two (Latin-1)", b'"\xb2"', True),
        Hostile(
            "version in superscript digits (Latin-1)",
            b'"' + b"".join(latin1.get(c, b"0") for c in text) + b'"',
            True,
        ),
        *scripts,
        Hostile("beyond int64", f'"{2**63}"'.encode(), True),
        Hostile("38 nines", b'"' + b"9" * 38 + b'"', True),
        Hostile("negative", b'"-1"', True),
        Hostile("plus sign", f'"+{text}"'.encode(), True),
        Hostile("underscore", f'"{text}_0"'.encode(), True),
        Hostile("exponent", b'"1e3"', True),
        Hostile("hex", b'"0x1"', True),
        Hostile("space inside", f'" {text}"'.encode(), True),
        Hostile("empty tag", b'""', True),
        Hostile("lone quote", b'"', True),
        Hostile("too long", b'"' + b"1" * 60 + b'"', True),
        Hostile("C1 control", b'"\x85"', True),
        Hostile("weak tag", f'W/"{text}"'.encode(), False),
        Hostile("star", b"*", False),
        Hostile("list of tags", f'"{text}", "{version + 1}"'.encode(), False),
        Hostile("unquoted", text.encode(), False),
        Hostile("leading zero", f'"0{text}"'.encode(), False),
        Hostile("empty", b"", False),
    ]


def if_matches(version: int) -> st.SearchStrategy[Hostile]:
    return st.one_of(
        st.sampled_from(if_match_values(version)),
        st.integers(-(2**70), 2**70)
        .filter(lambda n: n != version)
        .map(lambda n: Hostile("other version", f'"{n}"'.encode(), True)),
    )


def idempotency_key_values(salt: str) -> list[Hostile]:
    """Keys of odd shape; those that may be taken carry `salt`, so no run replays another's."""
    return [
        Hostile("201 characters", b"k" * 201, True),
        Hostile("4000 characters", b"k" * 4000, True),
        Hostile("empty", b"", False),
        Hostile("UTF-8 bytes", f"nyckel-ö-٣-{salt}".encode(), False),
        Hostile("C1 control", f"key-{salt}".encode() + b"\x85", False),
        Hostile("tab", f"key\t{salt}".encode(), False),
        Hostile("SQL", f"' OR 1=1 -- {salt}".encode(), False),
        Hostile("inner spaces", f"a b {salt}".encode(), False),
    ]


def request_id_values() -> list[Hostile]:
    return [
        Hostile("201 characters", b"r" * 201, False),
        Hostile("4000 characters", b"r" * 4000, False),
        Hostile("empty", b"", False),
        Hostile("UTF-8 bytes", "begäran-٣-\u202e".encode(), False),
        Hostile("C1 control", b"req\x85", False),
        Hostile("tab", b"req\treq", False),
        Hostile("markup", b"<script>alert(1)</script>", False),
    ]


def content_type_values() -> list[Hostile]:
    return [
        Hostile("text/plain", b"text/plain", True),
        Hostile("application/xml", b"application/xml", True),
        Hostile("no Content-Type", None, True),
        Hostile("form", b"application/x-www-form-urlencoded", True),
        Hostile("multipart", b"multipart/form-data; boundary=x", True),
        Hostile("empty", b"", True),
        Hostile("jsonx", b"application/jsonx", True),
        Hostile("octet-stream", b"application/octet-stream", True),
        Hostile("UTF-8 bytes", "application/jsön".encode(), True),
        Hostile("charset utf-16", b"application/json; charset=utf-16", False),
        Hostile("charset latin-1", b"application/json; charset=latin-1", False),
        Hostile("upper case", b"APPLICATION/JSON", False),
        Hostile("problem+json", b"application/problem+json", False),
        Hostile("json with parameters", b"application/json; x=y; charset=utf-8", False),
    ]


def authorization_values(token: str, sign: Callable[[bytes], str]) -> list[Hostile]:
    """Authorization headers around a valid token, and validly signed tokens with odd claims.

    `sign` signs a JSON payload as it is (so it may hold what Python's json cannot write).
    """
    header, claims_part, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(claims_part + "=="))
    odd_claims: list[tuple[str, dict[str, Any], bool]] = [
        ("roles as text", {"roles": claims["roles"][0]}, True),
        ("roles as numbers", {"roles": [1]}, True),
        ("roles empty", {"roles": []}, True),
        ("roles nested", {"roles": [claims["roles"]]}, True),
        ("roles null", {"roles": None}, True),
        ("roles upper case", {"roles": [r.upper() for r in claims["roles"]]}, True),
        ("roles with NUL", {"roles": [claims["roles"][0] + "\x00"]}, True),
        ("roles repeated", {"roles": claims["roles"] * 2}, False),
        ("org upper case", {"org": claims["org"].upper()}, True),
        ("org number", {"org": 1}, True),
        ("org null", {"org": None}, True),
        ("unit empty", {"unit": ""}, True),
        ("unit null", {"unit": None}, True),
        ("unit number", {"unit": 2**63}, True),
        ("unit with NUL", {"unit": claims["unit"] + "\x00"}, True),
        ("unit confusable", {"unit": claims["unit"].translate(CONFUSABLES)}, True),
        ("unit object", {"unit": {"id": claims["unit"]}}, True),
        ("sub empty", {"sub": ""}, True),
        ("sub number", {"sub": 7}, True),
        ("sub object", {"sub": {"a": 1}}, True),
        ("sub with NUL", {"sub": "officer\x00"}, True),
        ("sub with C1 control", {"sub": "officer\x85"}, True),
        ("sub lone surrogate", {"sub": "officer\ud800"}, True),
        ("sub with bidi override", {"sub": "officer\u202e"}, False),
        ("sub 1000 characters", {"sub": "s" * 1000}, False),
        ("iat as text", {"iat": "now"}, True),
        ("iat beyond int64", {"iat": 2**63}, True),
        ("iat 1e308", {"iat": 1e308}, True),
        ("iat below int64", {"iat": -(2**63) - 1}, True),
        ("iat in an hour", {"iat": claims["iat"] + 3600}, True),
        ("exp beyond int64", {"exp": 2**63}, True),
        ("exp 2**64", {"exp": 2**64}, True),
        ("exp 1e308", {"exp": 1e308}, True),
        ("exp year 9999", {"exp": 253402300799}, True),
        ("exp as text", {"exp": "tomorrow"}, True),
        # Expired a second ago: a leeway for clock skew may take it.
        ("exp a second before iat", {"exp": claims["iat"] - 1}, False),
        ("exp an hour before iat", {"exp": claims["iat"] - 3600}, True),
        ("nbf in an hour", {"nbf": claims["iat"] + 3600}, True),
        ("nbf beyond int64", {"nbf": 2**63}, True),
        ("nbf as text", {"nbf": "x"}, True),
        ("aud as object", {"aud": {"a": 1}}, False),
        ("deeply nested claim", {"x": Raw(b"[" * DEEP + b"]" * DEEP)}, False),
    ]
    unsigned = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
    return [
        Hostile("Basic scheme", f"Basic {token}".encode(), True),
        Hostile("no scheme", token.encode(), True),
        Hostile("scheme only", b"Bearer", True),
        Hostile("two tokens", f"Bearer {token} {token}".encode(), True),
        Hostile("token with a dot more", f"Bearer {token}.".encode(), True),
        Hostile("truncated token", f"Bearer {token[:-5]}".encode(), True),
        Hostile("bad signature", f"Bearer {header}.{claims_part}.{signature[::-1]}".encode(), True),
        Hostile("alg none", f"Bearer {unsigned}.{claims_part}.".encode(), True),
        Hostile("8000 characters", b"Bearer " + b"a" * 8000, True),
        Hostile("UTF-8 bytes", f"Bearer {token}ö".encode(), True),
        Hostile("Latin-1 byte", f"Bearer {token}".encode() + b"\xb2", True),
        Hostile("lower-case scheme", f"bearer {token}".encode(), False),
        Hostile("upper-case scheme", f"BEARER {token}".encode(), False),
        Hostile("two spaces", f"Bearer  {token}".encode(), False),
        *[
            Hostile(label, f"Bearer {sign(encode(claims | changes))}".encode(), refuse)
            for label, changes, refuse in odd_claims
        ],
        *[
            Hostile(
                f"token without {name}",
                f"Bearer {sign(encode(_without(claims, name)))}".encode(),
                True,
            )
            for name in ("sub", "org", "unit", "roles", "iat", "exp")
        ],
    ]


def _without(claims: dict[str, Any], name: str) -> dict[str, Any]:
    return {k: v for k, v in claims.items() if k != name}


# --- Query parameters and path segments --------------------------------------------------------
#
# Values here are percent-encoded already (so NUL, lone surrogates and bytes that are no UTF-8
# reach the server as such).


def q(value: str | bytes) -> str:
    """Percent-encode a query or path value (every reserved byte, '+' included)."""
    raw = value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass")
    return quote_from_bytes(raw, safe="")


def cursor(*values: Any) -> str:
    """A cursor as the API makes them: base64url of a JSON array, without padding."""
    return base64.urlsafe_b64encode(encode(list(values))).decode().rstrip("=")


def query_text_values(valid: str, free: bool = False, name: bool = False) -> list[Hostile]:
    """Hostile text in a query parameter. A value of an enumeration must match exactly; a
    free-text filter (`free`) must only refuse what no layer can hold; a `name` (a unit id) may
    be any well-formed one (one that names no unit finds nothing)."""
    closed = not free
    enumeration = closed and not name
    return [
        Hostile("nul", q(valid + "\x00"), True),
        Hostile("control", q(valid + "\x1b"), True),
        Hostile("C1 control", q(valid + "\x85"), True),
        Hostile("lone surrogate", q(valid + "\ud800"), True),
        Hostile("invalid UTF-8", q(valid.encode() + b"\xff"), True),
        Hostile("huge", q("x" * 5000), True),
        Hostile("confusable", q(valid.translate(CONFUSABLES)), closed),
        Hostile("bidi override", q(valid + "\u202e"), closed),
        Hostile("zero width", q(valid + "\u200b"), closed),
        Hostile("upper case", q(valid.upper()), closed),
        Hostile("array syntax", q(valid) + "&x[]=1", True),
        Hostile("the word null", "null", enumeration),
        Hostile("the word undefined", "undefined", False),
        Hostile("empty", "", False),
    ]


def query_texts(valid: str, free: bool = False, name: bool = False) -> st.SearchStrategy[Hostile]:
    def random(text: str) -> Hostile:
        # Must refuse what no layer can hold, and what is no well-formed value at all (random
        # text may happen to be another value of an enumeration, or a unit id).
        if free:
            refuse = _unholdable(text)
        elif name:
            refuse = re.fullmatch(r"[a-z0-9][a-z0-9-]{1,62}", text) is None
        else:
            refuse = re.fullmatch(r"[a-z_]+", text) is None
        return Hostile("random text", q(text), refuse)

    return st.one_of(
        st.sampled_from(query_text_values(valid, free, name)),
        st.text(min_size=1, max_size=20).map(random),
    )


def query_int_values(low: int, high: int) -> list[Hostile]:
    return [
        Hostile("beyond int64", str(2**63), True),
        Hostile("below int64", str(-(2**63) - 1), True),
        Hostile("400 nines", "9" * 400, True),
        Hostile("zero", "0", low > 0),
        Hostile("negative", "-1", True),
        Hostile("above the cap", str(high + 1), True),
        Hostile("exponent", "1e3", True),
        Hostile("underscore", "1_0", True),
        Hostile("hex", "0x10", True),
        Hostile("superscript", q("²"), True),
        Hostile("arabic-indic digit", q("٣"), True),
        Hostile("fullwidth digit", q("３"), True),
        Hostile("leading space", q(" 5"), True),
        Hostile("nul", q("5\x00"), True),
        Hostile("NaN", "NaN", True),
        Hostile("decimal", "1.0", False),
        Hostile("empty", "", False),
    ]


def query_ints(low: int, high: int) -> st.SearchStrategy[Hostile]:
    return st.one_of(
        st.sampled_from(query_int_values(low, high)),
        st.integers().map(lambda n: Hostile("any integer", str(n), not low <= n <= high)),
    )


def query_bool_values() -> list[Hostile]:
    return [
        Hostile("nul", q("true\x00"), True),
        Hostile("arabic-indic digit", q("١"), True),
        Hostile("yes", "yes", True),
        Hostile("2", "2", True),
        Hostile("huge", "t" * 5000, True),
        Hostile("upper case", "TRUE", False),
        Hostile("one", "1", False),
        Hostile("empty", "", False),
    ]


def query_bools() -> st.SearchStrategy[Hostile]:
    return st.sampled_from(query_bool_values())


def query_instant_values() -> list[Hostile]:
    return [Hostile(label, q(str(v)), refuse) for label, v, refuse in FIXED_INSTANTS]


def query_instants() -> st.SearchStrategy[Hostile]:
    return st.one_of(
        st.sampled_from(query_instant_values()),
        st.datetimes(
            min_value=datetime(1, 1, 2),
            max_value=datetime(9999, 12, 30),
            timezones=st.sampled_from(OFFSETS),
        ).map(lambda d: Hostile("any instant", q(d.isoformat()), _out_of_range(d))),
    )


def _int64(n: int) -> bool:
    return -(2**63) <= n < 2**63


def garbled_cursor_values() -> list[Hostile]:
    def b64(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    return [
        Hostile("not base64", q("!!!"), True),
        Hostile("standard base64 alphabet", q("+/+/"), True),
        Hostile("padding", q(cursor(1) + "=="), False),
        Hostile("base64 of invalid UTF-8", b64(b'["\xff"]'), True),
        Hostile("base64 of deep nesting", b64(b"[" * DEEP + b"]" * DEEP), True),
        Hostile("base64 of NaN", b64(b"[NaN]"), True),
        Hostile("base64 of an object", b64(b'{"a":1}'), True),
        Hostile("base64 of nothing", "", False),
        Hostile("huge cursor", "A" * 5000, True),
        Hostile("nul", q("\x00"), True),
        Hostile("lone surrogate", q("\ud800"), True),
    ]


def list_cursor_values(order: str) -> list[Hostile]:
    """Cursors of a keyset list ([order, instant, id]): the API's own shape with odd values."""
    row = "0b6f8f0e-6f0c-4f57-9d43-7b7f0e0e7f00"
    at = "2026-11-28T09:30:00Z"
    return [
        *[
            Hostile(f"cursor at {label}", cursor(order, value, row), refuse)
            for label, value, refuse in FIXED_INSTANTS
            if isinstance(value, str)
        ],
        *garbled_cursor_values(),
        Hostile("cursor of another order", cursor("elsewhere", at, row), True),
        Hostile("cursor id not a uuid", cursor(order, at, "x\u0000"), True),
        Hostile("cursor id a number", cursor(order, at, 2**63), True),
        Hostile("cursor instant a number", cursor(order, 2**63, row), True),
        Hostile("cursor with NUL in the order", cursor(order + "\x00", at, row), True),
        Hostile("cursor with 4 values", cursor(order, at, row, 1), True),
    ]


def list_cursors(order: str) -> st.SearchStrategy[Hostile]:
    row = "0b6f8f0e-6f0c-4f57-9d43-7b7f0e0e7f00"
    return st.one_of(
        st.sampled_from(list_cursor_values(order)),
        st.datetimes(
            min_value=datetime(1, 1, 2),
            max_value=datetime(9999, 12, 30),
            timezones=st.sampled_from(OFFSETS),
        ).map(
            lambda d: Hostile(
                "cursor at any instant", cursor(order, d.isoformat(), row), _out_of_range(d)
            )
        ),
    )


def position_cursor_values() -> list[Hostile]:
    """Cursors of the access log ([id, handover id])."""
    row = "0b6f8f0e-6f0c-4f57-9d43-7b7f0e0e7f00"
    return [
        *garbled_cursor_values(),
        Hostile("position beyond int64", cursor(2**63, row), True),
        Hostile("position below int64", cursor(-(2**63) - 1, row), True),
        Hostile("position 2**64", cursor(2**64, row), True),
        Hostile("position 1e308", cursor(1e308, row), True),
        Hostile("position as text", cursor("1", row), True),
        Hostile("position with a bad id", cursor(1, "\u0000"), True),
    ]


def position_cursors() -> st.SearchStrategy[Hostile]:
    row = "0b6f8f0e-6f0c-4f57-9d43-7b7f0e0e7f00"
    return st.one_of(
        st.sampled_from(position_cursor_values()),
        st.integers().map(lambda n: Hostile("any position", cursor(n, row), not _int64(n))),
    )


def feed_cursor_values() -> list[Hostile]:
    """`after` of the feed ([transaction id as text, sequence])."""
    return [
        *garbled_cursor_values(),
        Hostile("transaction beyond int64", cursor(str(2**63), 1), True),
        Hostile("transaction beyond uint64", cursor(str(2**64), 1), True),
        Hostile("transaction 150 digits", cursor("9" * 150, 1), True),
        Hostile("transaction in superscript", cursor("²", 1), True),
        Hostile("transaction in arabic-indic digits", cursor("٣", 1), True),
        Hostile("transaction in fullwidth digits", cursor("３", 1), True),
        Hostile("transaction empty", cursor("", 1), True),
        Hostile("transaction negative", cursor("-1", 1), True),
        Hostile("sequence beyond int64", cursor("1", 2**63), True),
        Hostile("sequence below int64", cursor("1", -(2**63) - 1), True),
        Hostile("sequence float", cursor("1", 1.5), True),
        Hostile("sequence 1e308", cursor("1", 1e308), True),
    ]


def feed_cursors() -> st.SearchStrategy[Hostile]:
    return st.one_of(
        st.sampled_from(feed_cursor_values()),
        st.tuples(st.integers(min_value=0), st.integers()).map(
            lambda p: Hostile(
                "any position", cursor(str(p[0]), p[1]), not (_int64(p[0]) and _int64(p[1]))
            )
        ),
    )


def path_id_values(known: str) -> list[Hostile]:
    """Hostile variants of a known id in a path. Upper case, braces, no hyphens and the URN
    form still name the same UUID (taking them is harmless); other digits do not."""
    return [
        Hostile("nul", q(known + "\x00"), True),
        Hostile("lone surrogate", q(known[:-1] + "\ud800"), True),
        Hostile("invalid UTF-8", q(known.encode() + b"\xff"), True),
        Hostile("confusable", q(known.translate(str.maketrans("abcdef", "аbсdеf"))), True),
        Hostile("arabic-indic digits", q(unicode_digits(known, 0x0660)), True),
        Hostile("fullwidth digits", q(unicode_digits(known, 0xFF10)), True),
        Hostile("huge", "x" * 5000, True),
        Hostile("int64 overflow", str(2**63), True),
        Hostile("encoded dots", "%2E%2E", True),
        Hostile("encoded slash", q("a/b"), True),
        Hostile("upper case", known.upper(), False),
        Hostile("braces", q("{" + known + "}"), False),
        Hostile("no hyphens", known.replace("-", ""), False),
        Hostile("urn prefix", q("urn:uuid:" + known), False),
    ]


def path_number_values() -> list[Hostile]:
    """Hostile incident numbers in a path (`/incidents/{number}`), for a request with one."""
    return [
        Hostile("beyond int64", str(2**63), True),
        Hostile("below int64", str(-(2**63) - 1), True),
        Hostile("400 digits", "9" * 400, True),
        Hostile("zero", "0", True),
        Hostile("negative", "-1", True),
        Hostile("superscript one", q("¹"), True),
        Hostile("arabic-indic one", q("١"), True),
        Hostile("fullwidth one", q("１"), True),
        Hostile("underscore", "0_1", False),
        Hostile("decimal", "1.0", True),
        Hostile("nul", q("1\x00"), True),
        Hostile("plus one", q("+1"), False),
        Hostile("leading zero", "01", False),
    ]


def path_name_values(valid: str) -> list[Hostile]:
    """Hostile deadline names in a path."""
    return [
        Hostile("nul", q(valid + "\x00"), True),
        Hostile("lone surrogate", q(valid + "\ud800"), True),
        Hostile("invalid UTF-8", q(valid.encode() + b"\xff"), True),
        Hostile("confusable", q(valid.translate(CONFUSABLES)), True),
        Hostile("bidi override", q(valid + "\u202e"), True),
        Hostile("upper case", q(valid.upper()), True),
        Hostile("huge", "x" * 5000, True),
        Hostile("SQL", q("x' OR '1'='1"), True),
    ]
