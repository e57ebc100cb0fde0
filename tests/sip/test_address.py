from __future__ import annotations

import pytest
from sbc.sip import AbsoluteUri, Address, SipPeerError, SipUri, parse_address, parse_uri
from sbc.sip.address import parse_contact_values


def test_name_addr_with_quoted_display_and_params() -> None:
    addr = parse_address('"J Rosenberg \\\\\\"" <sip:jdrosen@example.com> ; tag = 98asjd8')
    assert addr.display_name == 'J Rosenberg \\"'
    assert str(addr.uri) == "sip:jdrosen@example.com"
    assert addr.params == {"tag": "98asjd8"} and addr.tag == "98asjd8"


def test_token_display_names() -> None:
    assert parse_address("caller<sip:caller@example.com>;tag=323").display_name == "caller"
    addr = parse_address("token1~` token2'+_ token3*%!.- <sip:mundane@example.com>")
    assert addr.display_name == "token1~` token2'+_ token3*%!.-"


def test_addr_spec_params_belong_to_the_header() -> None:
    addr = parse_address("sip:+19725552222@gw1.example.net;unknownparam")
    assert isinstance(addr.uri, SipUri) and addr.uri.params == {}
    assert addr.params == {"unknownparam": None}
    bracketed = parse_address("<sip:+19725552222@gw1.example.net;unknownparam>")
    assert isinstance(bracketed.uri, SipUri)
    assert bracketed.uri.params == {"unknownparam": None} and bracketed.params == {}


def test_any_scheme_in_addresses() -> None:
    assert isinstance(parse_address("isbn:2983792873").uri, AbsoluteUri)
    assert parse_address("<http://www.example.com>;tag=3234233").tag == "3234233"


def test_quoted_param_value_kept_with_quotes() -> None:
    addr = parse_address('<sip:a@b>;p="x;y";q=0.5')
    assert addr.params == {"p": '"x;y"', "q": "0.5"}


@pytest.mark.parametrize(
    "text",
    [
        '"Mr. J. User <sip:j.user@example.com>',  # unterminated quote
        '"Watson, Thomas" < sip:t.watson@example.org >',  # spaces in <>
        "Bell, Alexander <sip:a.g.bell@example.com>;tag=43",  # comma in display name
        "sip:user@example.com?Route=%3Csip:sip.example.com%3E",  # '?' outside <>
        '"Joe" <sip:joe@example.org>;;;;',
        "<sip:a@b",
        "<sip:a@b> junk",
        "sip:a@b junk",
        "",
        "<>",
    ],
)
def test_malformed_addresses(text: str) -> None:
    with pytest.raises(SipPeerError) as info:
        parse_address(text)
    assert info.value.status == 400


def test_serialization_always_brackets_and_quotes() -> None:
    addr = Address(parse_uri("sip:a@b;lr"), 'Doe "JD", John', {"tag": "x"})
    assert str(addr) == '"Doe \\"JD\\", John" <sip:a@b;lr>;tag=x'
    again = parse_address(str(addr))
    assert again.display_name == 'Doe "JD", John' and again.tag == "x"
    assert str(addr.with_tag("y")).endswith(";tag=y") and addr.tag == "x"


def test_contact_wildcard() -> None:
    assert parse_contact_values(["*"]) == ([], True)
    with pytest.raises(SipPeerError):
        parse_contact_values(["*, <sip:a@b>"])
    contacts, wildcard = parse_contact_values(["<sip:a@b>;q=0.7, sip:c@d", "<sip:e@f>"])
    assert not wildcard and [str(c.uri) for c in contacts] == ["sip:a@b", "sip:c@d", "sip:e@f"]


# -- From/To of responses: the URI echoes our request, only the tag matters -------------

MS = "sip.pstnhub.microsoft.com"
ECHOED = [
    (f"<sip:@{MS};user=phone>;tag=t2", f"sip:@{MS};user=phone"),
    ('"Teams" <sip:a b@x>;tag=t2', None),  # a space in the URI: nothing we can echo
    ("sip:@host.example;tag=t2", "sip:@host.example"),
    ("<sip:u@h:99999>;tag=t2", "sip:u@h:99999"),
]


@pytest.mark.parametrize("text, uri", ECHOED)
def test_echoed_address_keeps_a_uri_it_cannot_parse(text: str, uri: str | None) -> None:
    from sbc.sip.address import parse_echoed_address

    if uri is None:
        with pytest.raises(SipPeerError):
            parse_echoed_address(text)
        return
    with pytest.raises(SipPeerError):
        parse_address(text)  # requests stay strict
    addr = parse_echoed_address(text)
    assert isinstance(addr.uri, AbsoluteUri) and str(addr.uri) == uri
    assert addr.tag == "t2"
    assert str(addr) == f"<{uri}>;tag=t2"  # goes out again as it came


def test_echoed_address_parses_a_good_uri_strictly() -> None:
    from sbc.sip.address import parse_echoed_address

    addr = parse_echoed_address('"B" <sip:+4930@x.example;user=phone>;tag=t9')
    assert isinstance(addr.uri, SipUri) and addr.uri.user == "+4930"
    assert addr.display_name == "B" and addr.tag == "t9"


@pytest.mark.parametrize("text", [
    "<sip:@x>;tag=a b",  # the parameters are still read strictly
    "<sip:@x;tag=t2",
    "<>;tag=t2",
])
def test_echoed_address_still_refuses_what_it_cannot_read(text: str) -> None:
    from sbc.sip.address import parse_echoed_address

    with pytest.raises(SipPeerError):
        parse_echoed_address(text)


def test_response_to_is_lenient_and_request_to_is_strict() -> None:
    from sbc.sip import Request, Response, parse_datagram

    head = ("Via: SIP/2.0/TLS sbc.example:5061;branch=z9hG4bKx\r\n"
            "From: <sip:+4930@sbc.example>;tag=f1\r\n"
            "To: <sip:@sip.pstnhub.microsoft.com;user=phone>;tag=t2\r\n"
            "Call-ID: c1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n")
    response = parse_datagram(f"SIP/2.0 200 OK\r\n{head}".encode())
    assert isinstance(response, Response) and response.to_addr.tag == "t2"
    request = parse_datagram(f"INVITE sip:x@sbc.example SIP/2.0\r\n{head}".encode())
    assert isinstance(request, Request)
    with pytest.raises(SipPeerError) as caught:
        request.to_addr  # noqa: B018
    assert caught.value.status == 400
