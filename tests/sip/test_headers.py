from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sbc.sip import Headers, SipUsageError, canonical_name
from sbc.sip.headers import split_list


@pytest.mark.parametrize(
    ("name", "canonical"),
    [
        ("v", "Via"),
        ("V", "Via"),
        ("i", "Call-ID"),
        ("call-id", "Call-ID"),
        ("m", "Contact"),
        ("e", "Content-Encoding"),
        ("l", "Content-Length"),
        ("f", "From"),
        ("t", "To"),
        ("s", "Subject"),
        ("k", "Supported"),
        ("c", "Content-Type"),
        ("o", "Event"),
        ("r", "Refer-To"),
        ("u", "Allow-Events"),
        ("x", "Session-Expires"),
        ("y", "Identity"),
        ("b", "Referred-By"),
        ("a", "Accept-Contact"),
        ("www-authenticate", "WWW-Authenticate"),
        ("cseq", "CSeq"),
        ("X-MS-SBC", "X-MS-SBC"),
        ("C%6Fntact", "C%6Fntact"),
    ],
)
def test_canonical_names(name: str, canonical: str) -> None:
    assert canonical_name(name) == canonical


def test_order_and_lookup_are_case_insensitive() -> None:
    h = Headers([("v", "SIP/2.0/UDP a"), ("From", "<sip:x@y>"), ("VIA", "SIP/2.0/UDP b")])
    assert h.get_all("via") == ["SIP/2.0/UDP a", "SIP/2.0/UDP b"]
    assert list(h) == [("Via", "SIP/2.0/UDP a"), ("From", "<sip:x@y>"), ("Via", "SIP/2.0/UDP b")]
    assert "f" in h and "To" not in h
    assert h.count("Via") == 2


def test_list_headers_split_but_not_inside_quotes_or_brackets() -> None:
    h = Headers()
    h.add("Contact", '"Doe, John" <sip:a@b;x=1,2>, <sip:c@d>')
    h.add("Contact", "<sip:e@f>")
    assert h.values("Contact") == ['"Doe, John" <sip:a@b;x=1,2>', "<sip:c@d>", "<sip:e@f>"]
    h.add("Date", "Sat, 13 Nov 2010 23:29:00 GMT")
    assert h.values("Date") == ["Sat, 13 Nov 2010 23:29:00 GMT"]
    h.add("WWW-Authenticate", 'Digest realm="a", nonce="b"')
    assert len(h.values("WWW-Authenticate")) == 1


def test_split_list_handles_escaped_quote() -> None:
    assert split_list(r'"a \", b" <sip:x@y>, <sip:z@w>') == [r'"a \", b" <sip:x@y>', "<sip:z@w>"]
    assert split_list("a,,b") == ["a", "", "b"]


def test_prepend_set_remove_replace() -> None:
    h = Headers([("To", "a"), ("Via", "v1"), ("Via", "v2"), ("Route", "r")])
    h.prepend("Via", "v0")
    assert h.get_all("Via") == ["v0", "v1", "v2"]
    assert [n for n, _ in h][:2] == ["To", "Via"]
    h.set("Via", "only")
    assert h.get_all("Via") == ["only"]
    assert [n for n, _ in h] == ["To", "Via", "Route"]
    h.replace_first("To", "b")
    assert h.get("t") == "b"
    assert h.remove("Route") == 1 and "Route" not in h
    h.prepend("Record-Route", "rr")
    assert list(h)[0] == ("Record-Route", "rr")
    with pytest.raises(SipUsageError):
        h.replace_first("Contact", "x")


@pytest.mark.parametrize(
    ("name", "value"), [("X", "a\r\nInjected: 1"), ("Bad:Name", "v"), ("", "v")]
)
def test_header_injection_is_our_misuse(name: str, value: str) -> None:
    with pytest.raises(SipUsageError):
        Headers().add(name, value)


def test_copy_and_equality() -> None:
    h = Headers([("To", "a")])
    c = h.copy()
    c.add("From", "b")
    assert h != c and len(h) == 1 and len(c) == 2
    assert Headers([("t", "a")]) == h


def test_the_name_cache_stays_bounded() -> None:
    from sbc.sip import headers as module

    for n in range(module._MAX_NAMES + 100):
        Headers([(f"X-Odd-{n}", "1")])
    Headers([("X-" + "a" * 5000, "1")])
    assert len(module._NAMES) <= module._MAX_NAMES
    assert all(len(name) <= module._MAX_NAME_LENGTH for name in module._NAMES)
    headers = Headers([("v", "SIP/2.0/UDP a"), ("VIA", "SIP/2.0/UDP b")])
    assert headers.get_all("Via") == ["SIP/2.0/UDP a", "SIP/2.0/UDP b"]
    assert headers.items()[0][0] == "Via"


def test_a_bad_name_looked_up_is_still_refused_when_added() -> None:
    assert Headers().get("Bad:Name") is None
    with pytest.raises(SipUsageError):
        Headers([("Bad:Name", "1")])


def _split_slowly(value: str) -> list[str]:
    """The character-by-character reading that split_list's shortcuts must agree with."""
    parts, start, quoted, angle, escaped = [], 0, False, False, False
    for i, ch in enumerate(value):
        if quoted:
            escaped, quoted = (False, quoted) if escaped else (ch == "\\", ch != '"')
        elif ch == '"':
            quoted = True
        elif ch in "<>":
            angle = ch == "<"
        elif ch == "," and not angle:
            parts.append(value[start:i].strip(" \t"))
            start = i + 1
    parts.append(value[start:].strip(" \t"))
    return parts


@given(st.text(alphabet=' \t,"<>\\ab', max_size=30))
def test_split_list_shortcuts_agree_with_the_full_reading(value: str) -> None:
    assert split_list(value) == _split_slowly(value)
