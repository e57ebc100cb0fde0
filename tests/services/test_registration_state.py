"""RegistrationState with a fake clock: the REGISTER, 401/407 digest, 423, refresh
timing, backoff with jitter, and the status it reports."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest
from sbc.config.model import Auth, Registration
from sbc.core import SbcIdentity
from sbc.services import RegistrationPolicy, RegistrationState
from sbc.sip import Request, Response, build_response, parse_challenges
from sbc.sip.digest import compute_response

IDENTITY = SbcIdentity("sbc.example.com", {"udp": 5060, "tcp": 5060, "tls": 5061})
REG = Registration(registrar="reg.sip-trunk.telekom.de", domain="sip-trunk.telekom.de",
                   user="+4930123456780", expires=480)
AUTH = Auth(username="+4930123456780", auth_user="555123456789", password="secret")


def counter_random() -> Callable[[int], bytes]:
    counter = itertools.count(1)
    return lambda n: bytes(next(counter) % 256 for _ in range(n))


def fixed(value: float) -> Callable[[float, float], float]:
    """uniform(a, b) that returns a + value * (b - a): 0 = low end, 1 = high end."""
    return lambda a, b: a + value * (b - a)


DEFAULT_POLICY = RegistrationPolicy()


def state(*, auth: Auth | None = AUTH, jitter: float = 0.0,
          policy: RegistrationPolicy = DEFAULT_POLICY) -> RegistrationState:
    reg = RegistrationState("Telekom", REG, auth, random=counter_random(), uniform=fixed(jitter),
                            policy=policy, call_id_host="sbc.example.com")
    reg.start(0.0)
    return reg


def answer(request: Request, status: int, *headers: tuple[str, str]) -> Response:
    return build_response(request, status, to_tag="r1", headers=list(headers))


CHALLENGE = ("WWW-Authenticate",
             'Digest realm="tel.t-online.de", nonce="abc123", qop="auth", algorithm=MD5')


def _params(value: str) -> dict[str, str]:
    return parse_challenges(value)[0].params


def test_first_register() -> None:
    reg = state()
    assert reg.due == 0.0 and reg.state == "pending"
    request = reg.build(IDENTITY, "tcp", target="tcp 217.0.0.1:5060")
    assert reg.due is None  # in flight
    assert str(request.uri) == "sip:sip-trunk.telekom.de"
    assert str(request.to_addr.uri) == "sip:+4930123456780@sip-trunk.telekom.de"
    assert str(request.from_addr.uri) == "sip:+4930123456780@sip-trunk.telekom.de"
    assert request.from_addr.tag
    contact = "<sip:+4930123456780@sbc.example.com:5060;transport=tcp>"
    assert request.headers.get("Contact") == contact
    assert request.headers.get("Expires") == "480"
    assert request.top_via.host == "sbc.example.com" and request.top_via.transport == "TCP"
    assert request.cseq.number == 1
    assert "Authorization" not in request.headers


@pytest.mark.parametrize("code,header,answer_header", [
    (401, "WWW-Authenticate", "Authorization"),
    (407, "Proxy-Authenticate", "Proxy-Authorization"),
])
def test_challenge_answered_with_the_auth_user(code: int, header: str, answer_header: str) -> None:
    reg = state()
    first = reg.build(IDENTITY, "tcp")
    assert reg.on_response(answer(first, code, (header, CHALLENGE[1])), 0.05) is None
    assert reg.due == 0.05  # at once
    second = reg.build(IDENTITY, "tcp")
    assert second.call_id == first.call_id and second.cseq.number == 2
    assert second.from_addr.tag == first.from_addr.tag
    value = second.headers.get(answer_header)
    assert value is not None
    params = _params(value)
    assert params["username"] == "555123456789"  # the auth user, not the line number
    assert params["uri"] == "sip:sip-trunk.telekom.de" and params["qop"] == "auth"
    challenge = parse_challenges(CHALLENGE[1])[0]
    expected = compute_response(challenge, username="555123456789", password="secret",
                                method="REGISTER", uri="sip:sip-trunk.telekom.de", qop="auth",
                                cnonce=params["cnonce"], nc=params["nc"])
    assert params["response"] == expected


def test_sha256_is_chosen_when_offered() -> None:
    reg = state()
    first = reg.build(IDENTITY, "tcp")
    response = answer(first, 401,
                      ("WWW-Authenticate", 'Digest realm="r", nonce="n1", qop="auth", '
                                           "algorithm=MD5"),
                      ("WWW-Authenticate", 'Digest realm="r", nonce="n2", qop="auth", '
                                           "algorithm=SHA-256"))
    assert reg.on_response(response, 0.0) is None
    value = reg.build(IDENTITY, "tcp").headers.get("Authorization") or ""
    assert "algorithm=SHA-256" in value and 'nonce="n2"' in value


def test_registered_and_refresh_at_50_to_80_percent() -> None:
    for jitter, at in ((0.0, 150.0), (1.0, 240.0)):
        reg = state(jitter=jitter)
        request = reg.build(IDENTITY, "tcp")
        reg.on_response(answer(request, 401, CHALLENGE), 0.0)
        request = reg.build(IDENTITY, "tcp")
        contact = request.headers.get("Contact")
        result = reg.on_response(answer(request, 200, ("Contact", f"{contact};expires=300")),
                                 0.0)
        assert result is not None and result.ok and result.expires == 300
        assert reg.state == "registered" and reg.expires_at == 300.0
        assert reg.due == at  # 50 % / 80 % of the 300 s granted
        refresh = reg.build(IDENTITY, "tcp")
        assert refresh.call_id == request.call_id and refresh.cseq.number == 3
        assert "Authorization" not in refresh.headers  # a fresh round


def test_granted_time_from_expires_header_or_our_request() -> None:
    reg = state()
    request = reg.build(IDENTITY, "tcp")
    result = reg.on_response(answer(request, 200, ("Expires", "120")), 0.0)
    assert result is not None and result.expires == 120
    request = reg.build(IDENTITY, "tcp")
    result = reg.on_response(answer(request, 200), 10.0)
    assert result is not None and result.expires == 480  # what we asked for
    status = reg.status(to_wall=1000.0)
    assert status["state"] == "registered" and status["expires_at"] == 1490.0
    assert status["code"] == 200 and status["aor"] == "sip:+4930123456780@sip-trunk.telekom.de"


def test_423_uses_min_expires() -> None:
    reg = state()
    request = reg.build(IDENTITY, "tcp")
    assert reg.on_response(answer(request, 423, ("Min-Expires", "900")), 1.0) is None
    assert reg.due == 1.0 and reg.expires == 900
    assert reg.build(IDENTITY, "tcp").headers.get("Expires") == "900"


def test_423_without_min_expires_fails() -> None:
    reg = state()
    request = reg.build(IDENTITY, "tcp")
    result = reg.on_response(answer(request, 423), 1.0)
    assert result is not None and not result.ok and "Min-Expires" in (result.reason or "")


def test_wrong_password_fails_after_one_answered_challenge() -> None:
    reg = state(jitter=1.0)
    first = reg.build(IDENTITY, "tcp")
    assert reg.on_response(answer(first, 401, CHALLENGE), 0.0) is None
    second = reg.build(IDENTITY, "tcp")
    result = reg.on_response(answer(second, 401, CHALLENGE), 0.1)
    assert result is not None and not result.ok
    assert result.status == 401 and "credentials rejected" in (result.reason or "")
    assert reg.state == "failed" and result.retry_in == 30.0
    assert reg.due == pytest.approx(30.1)


def test_stale_nonce_is_answered_again() -> None:
    reg = state()
    first = reg.build(IDENTITY, "tcp")
    reg.on_response(answer(first, 401, CHALLENGE), 0.0)
    second = reg.build(IDENTITY, "tcp")
    stale = ("WWW-Authenticate", 'Digest realm="tel.t-online.de", nonce="new", qop="auth", '
                                 "stale=true")
    assert reg.on_response(answer(second, 401, stale), 0.1) is None
    assert 'nonce="new"' in (reg.build(IDENTITY, "tcp").headers.get("Authorization") or "")


def test_challenge_without_credentials_or_in_the_wrong_realm_fails() -> None:
    reg = state(auth=None)
    result = reg.on_response(answer(reg.build(IDENTITY, "udp"), 401, CHALLENGE), 0.0)
    assert result is not None and not result.ok and "no credentials" in (result.reason or "")
    other = Auth("+4930123456780", "555123456789", "secret", realm="other.realm")
    reg = state(auth=other)
    result = reg.on_response(answer(reg.build(IDENTITY, "udp"), 401, CHALLENGE), 0.0)
    assert result is not None and "no challenge we can answer" in (result.reason or "")


def test_backoff_doubles_with_jitter_up_to_the_cap() -> None:
    policy = RegistrationPolicy(base_backoff=30, max_backoff=300)
    high, low = state(jitter=1.0, policy=policy), state(jitter=0.0, policy=policy)
    delays_high: list[float | None] = []
    delays_low: list[float | None] = []
    now = 0.0
    for _ in range(6):
        for reg, out in ((high, delays_high), (low, delays_low)):
            reg.build(IDENTITY, "tcp")
            result = reg.on_failure("timeout: no response", now)
            assert not result.ok and result.status is None
            out.append(result.retry_in)
    assert delays_high == [30, 60, 120, 240, 300, 300]
    assert delays_low == [15, 30, 60, 120, 150, 150]  # jitter: 50-100 % of the backoff
    assert high.status()["failures"] == 6 and high.status()["error"] == "timeout: no response"


def test_success_resets_the_backoff_and_retry_after_is_honoured() -> None:
    reg = state(jitter=1.0)
    reg.build(IDENTITY, "tcp")
    reg.on_failure("connect failed", 0.0)
    reg.build(IDENTITY, "tcp")
    reg.on_failure("connect failed", 30.0)
    assert reg.failures == 2
    request = reg.build(IDENTITY, "tcp")
    reg.on_response(answer(request, 200, ("Expires", "60")), 90.0)
    assert reg.failures == 0
    request = reg.build(IDENTITY, "tcp")
    result = reg.on_response(answer(request, 503, ("Retry-After", "120")), 140.0)
    assert result is not None and result.retry_in == 120.0 and reg.due == 260.0
    assert result.status == 503 and reg.state == "failed"

