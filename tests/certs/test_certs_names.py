"""FQDN syntax and RFC 2818 one-label wildcard matching."""

from __future__ import annotations

import pytest
from sbc.certs.errors import CertError
from sbc.certs.names import is_ip_address, name_matches, validate_fqdn


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("sbc.contoso.com", "sbc.contoso.com"),
        ("SBC.Contoso.COM.", "sbc.contoso.com"),
        (" sbc-1.lab.test ", "sbc-1.lab.test"),
        ("a1.b2.example", "a1.b2.example"),
    ],
)
def test_valid_fqdns(name: str, expected: str) -> None:
    assert validate_fqdn(name) == expected


@pytest.mark.parametrize("name", ["192.0.2.10", "::1", "[2001:db8::1]", "10.0.0.1."])
def test_ip_address_refused_with_clear_message(name: str) -> None:
    with pytest.raises(CertError, match="is an IP address; Teams identifies") as err:
        validate_fqdn(name)
    assert err.value.check == "fqdn"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "is empty"),
        ("sbc", "not fully qualified"),
        ("sbc_1.contoso.com", "not a valid host name"),
        ("-sbc.contoso.com", "not a valid host name"),
        ("sbc-.contoso.com", "not a valid host name"),
        ("sbc..contoso.com", "not a valid host name"),
        ("sbc.contoso.com/x", "not a valid host name"),
        ("*.contoso.com", "not a valid host name"),
        ("a" * 64 + ".contoso.com", "not a valid host name"),
        ("sbc.123", "numeric label"),
        (("a" * 60 + ".") * 5 + "com", "longer than 253"),
    ],
)
def test_invalid_fqdns(name: str, message: str) -> None:
    with pytest.raises(CertError, match=message):
        validate_fqdn(name)


def test_wildcard_allowed_only_when_asked() -> None:
    assert validate_fqdn("*.contoso.com", wildcard=True) == "*.contoso.com"
    with pytest.raises(CertError, match="covers a whole domain"):
        validate_fqdn("*.com", wildcard=True)


def test_is_ip_address() -> None:
    assert is_ip_address("127.0.0.1") and is_ip_address("[::1]")
    assert not is_ip_address("sbc.lab.test")


@pytest.mark.parametrize(
    ("pattern", "fqdn", "matches"),
    [
        ("sbc.contoso.com", "sbc.contoso.com", True),
        ("SBC.contoso.com.", "sbc.CONTOSO.com", True),
        ("sbc.contoso.com", "sbc2.contoso.com", False),
        ("*.contoso.com", "sbc.contoso.com", True),
        ("*.contoso.com", "a.sbc.contoso.com", False),  # one label only
        ("*.contoso.com", "contoso.com", False),
        ("*.com", "contoso.com", False),
        ("s*.contoso.com", "sbc.contoso.com", False),  # partial wildcards: no
        ("*.*.contoso.com", "a.b.contoso.com", False),
        ("", "sbc.contoso.com", False),
    ],
)
def test_name_matches(pattern: str, fqdn: str, matches: bool) -> None:
    assert name_matches(pattern, fqdn) is matches
