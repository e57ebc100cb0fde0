from __future__ import annotations

import hashlib
from collections.abc import Callable

import pytest
from sbc.sip import Response, SipPeerError, build_response, parse_datagram
from sbc.sip.digest import (
    Challenge,
    DigestClient,
    challenges_of,
    choose,
    compute_response,
    parse_challenges,
)

from .helpers import OPTIONS


def fixed(hex_cnonce: str) -> Callable[[int], bytes]:
    """A random source that always returns the same bytes."""
    return lambda n: bytes.fromhex(hex_cnonce)[:n]


def _params(value: str) -> dict[str, str]:
    [challenge] = parse_challenges(value)  # an Authorization value parses the same way
    return challenge.params


def test_rfc2617_worked_example() -> None:
    # RFC 2617 §3.5
    challenge = parse_challenges(
        'Digest realm="testrealm@host.com", qop="auth,auth-int", '
        'nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"'
    )[0]
    assert challenge.qop_options == ["auth", "auth-int"] and challenge.algorithm == "MD5"
    digest = compute_response(
        challenge, username="Mufasa", password="Circle Of Life", method="GET",
        uri="/dir/index.html", qop="auth", cnonce="0a4f113b", nc="00000001",
    )
    assert digest == "6629fae49393a05397450978507c4ef1"


def _rfc7616_challenge(algorithm: str) -> Challenge:
    # RFC 7616 §3.9.1
    return parse_challenges(
        'Digest realm="http-auth@example.org", qop="auth, auth-int", '
        f"algorithm={algorithm}, "
        'nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", '
        'opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"'
    )[0]


@pytest.mark.parametrize(
    ("algorithm", "expected"),
    [
        ("MD5", "8ca523f5e9506fed4657c9700eebdbec"),
        ("SHA-256", "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"),
    ],
)
def test_rfc7616_worked_examples(algorithm: str, expected: str) -> None:
    digest = compute_response(
        _rfc7616_challenge(algorithm), username="Mufasa", password="Circle of Life",
        method="GET", uri="/dir/index.html", qop="auth",
        cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", nc="00000001",
    )
    assert digest == expected


def test_rfc7616_userhash_example() -> None:
    # RFC 7616 §3.9.2 with erratum 4897 (the RFC's hashes came from a draft SHA-512/256):
    # SHA-512-256 with userhash; the hashed user name goes on the wire.
    challenge = parse_challenges(
        'Digest realm="api@example.org", qop="auth", algorithm=SHA-512-256, '
        'nonce="5TsQWLVdgBdmrQ0XsxbDODV+57QdFR34I9HAbC/RVvkK", '
        'opaque="HRPCssKJSGjCrkzDg8OhwpzCiGPChXYjwrI2QmXDnsOS", charset=UTF-8, userhash=true'
    )[0]
    client = DigestClient("J\u00e4s\u00f8n Doe", "Secret, or not?", fixed("00" * 8))
    name, value = client.authorization(challenge, "GET", "/doe.json")
    sent = _params(value)
    assert sent["username"] == "793263caabb707a56211940d90411ea4a575adeccb7e360aeb624ed06ece9b0b"
    assert sent["userhash"] == "true"
    digest = compute_response(
        challenge, username="J\u00e4s\u00f8n Doe", password="Secret, or not?", method="GET",
        uri="/doe.json", qop="auth",
        cnonce="NTg6RKcb9boFIAS3KrFK9BGeh+iDa/sm6jUMp2wds69v", nc="00000001",
    )
    assert digest == "3798d4131c277846293534c3edc11bd8a5e4cdcbff78b05db9d95eeb1cec68a5"


def test_client_header_with_qop_and_nonce_count() -> None:
    challenge = _rfc7616_challenge("SHA-256")
    client = DigestClient("Mufasa", "Circle of Life", fixed("0a4f113b0a4f113b"))
    name, value = client.authorization(challenge, "REGISTER", "sip:example.org")
    assert name == "Authorization"
    sent = _params(value)
    assert sent["qop"] == "auth" and sent["nc"] == "00000001"
    assert sent["cnonce"] == "0a4f113b0a4f113b" and sent["algorithm"] == "SHA-256"
    assert sent["opaque"] == challenge.params["opaque"] and sent["uri"] == "sip:example.org"
    assert sent["response"] == compute_response(
        challenge, username="Mufasa", password="Circle of Life", method="REGISTER",
        uri="sip:example.org", qop="auth", cnonce="0a4f113b0a4f113b", nc="00000001",
    )
    assert 'qop=auth, nc=00000001' in value and 'username="Mufasa"' in value
    _, again = client.authorization(challenge, "REGISTER", "sip:example.org")
    assert _params(again)["nc"] == "00000002"


def test_legacy_no_qop() -> None:
    value = 'Digest realm="atlanta.com", nonce="84a4cc6f3082121f32b42a2187831a9e"'
    challenge = parse_challenges(value)[0]
    client = DigestClient("bob", "zanzibar", fixed("00"))
    _, value = client.authorization(challenge, "INVITE", "sip:bob@biloxi.com")
    sent = _params(value)
    md5 = lambda s: hashlib.md5(s.encode()).hexdigest()  # noqa: E731
    ha1, ha2 = md5("bob:atlanta.com:zanzibar"), md5("INVITE:sip:bob@biloxi.com")
    assert sent["response"] == md5(f"{ha1}:84a4cc6f3082121f32b42a2187831a9e:{ha2}")
    assert "qop" not in sent and "cnonce" not in sent and "nc" not in sent


def test_md5_sess_and_auth_int() -> None:
    value = 'Digest realm="r", nonce="n", algorithm=MD5-sess, qop="auth-int"'
    challenge = parse_challenges(value)[0]
    client = DigestClient("u", "p", fixed("11" * 8))
    _, value = client.authorization(challenge, "MESSAGE", "sip:x", body=b"hello")
    sent = _params(value)
    md5 = lambda s: hashlib.md5(s if isinstance(s, bytes) else s.encode()).hexdigest()  # noqa: E731
    ha1 = md5(f"{md5('u:r:p')}:n:{'11' * 8}")
    ha2 = md5(f"MESSAGE:sip:x:{md5(b'hello')}")
    assert sent["qop"] == "auth-int"
    assert sent["response"] == md5(f"{ha1}:n:00000001:{'11' * 8}:auth-int:{ha2}")


def test_choose_prefers_sha256_and_answers_proxy() -> None:
    req = parse_datagram(OPTIONS)
    resp = build_response(req, 407, to_tag="t", headers=[
        ("Proxy-Authenticate", 'Digest realm="p", nonce="a", algorithm=MD5, qop="auth"'),
        ("Proxy-Authenticate", 'Digest realm="p", nonce="b", algorithm=SHA-256, qop="auth"'),
        ("WWW-Authenticate", 'Digest realm="w", nonce="c"'),
        ("WWW-Authenticate", 'Basic realm="w"'),
        ("WWW-Authenticate", 'Digest realm="x", nonce="d", algorithm=AKAv1-MD5'),
    ])
    assert isinstance(resp, Response)
    found = challenges_of(resp)
    assert len(found) == 5 and not found[0].proxy and found[-1].proxy
    picked = choose(found)
    assert [(c.realm, c.algorithm) for c in picked] == [("w", "MD5"), ("p", "SHA-256")]
    client = DigestClient("u", "p", fixed("22" * 8))
    headers = client.answer(resp, "OPTIONS", "sip:sbc.example.com")
    assert [name for name, _ in headers] == ["Authorization", "Proxy-Authorization"]


def test_two_challenges_in_one_header_and_bad_ones() -> None:
    both = parse_challenges('Digest realm="a", nonce="1", Digest realm="b", nonce="2"')
    assert [c.realm for c in both] == ["a", "b"]
    assert parse_challenges('Digest stale=TRUE, realm="a"')[0].stale
    with pytest.raises(SipPeerError) as info:
        parse_challenges('Digest realm="a" "junk"')
    assert info.value.status is None
    with pytest.raises(SipPeerError):
        DigestClient("u", "p", fixed("00")).authorization(
            parse_challenges('Digest realm="a", nonce="1", qop="auth-conf"')[0], "GET", "/"
        )
