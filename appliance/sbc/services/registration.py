"""Registration client state for one connection, sans-IO: `now`, responses, failures.

    reg = RegistrationState("Telekom", conn.registration, conn.auth, random=os.urandom,
                            uniform=random.uniform)
    reg.start(now)
    when now >= reg.due:  request = reg.build(now, identity, "tcp"); send it ...
    result = reg.on_response(response, now)   # or reg.on_failure("timeout", now)
    if result: events.registration(...)       # None: a challenge, resend at once

The REGISTER: Request-URI sip:DOMAIN, From/To the AOR sip:USER@DOMAIN (USER is the line
number), Contact <sip:USER@FQDN:PORT;transport=...>, Expires; one Call-ID and From tag for
the life of the binding and CSeq counting up (RFC 3261 §10.2).

- 401/407: answered with `DigestClient` (MD5, SHA-256, qop=auth; username = the auth
  user), at most `max_auth_rounds` times in a row: a second challenge to a request that
  already carried credentials is a wrong password unless the server says stale=true.
- 423 Interval Too Brief: retry at once with its Min-Expires (a few times at most).
- 2xx: registered; the granted time comes from our Contact's expires parameter, else the
  Expires header, else what we asked for. Refresh at a random 50-80 % of it.
- Anything else, timeouts and transport/DNS failures: failed; retry after an exponential
  backoff (30 s doubling to 30 min, RFC 5626 §4.5 style) with jitter: a random 50-100 %
  of it, so that many SBCs restarted together do not hit the registrar in step. A
  Retry-After on the failure is honoured instead when present.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from ..config.model import Auth, Registration
from ..sip import (
    Address,
    DigestClient,
    Request,
    Response,
    SipPeerError,
    SipUri,
    challenges_of,
    choose,
    new_call_id,
    new_tag,
)
from ..sip.ids import RandomBytes
from ..sip.reasons import reason_phrase

if TYPE_CHECKING:
    from ..core.identity import SbcIdentity

State = Literal["pending", "registered", "failed"]
Uniform = Callable[[float, float], float]


@dataclass(frozen=True)
class RegistrationPolicy:
    base_backoff: float = 30.0
    max_backoff: float = 1800.0
    refresh_min: float = 0.5  # refresh at this ...
    refresh_max: float = 0.8  # ... to this fraction of the granted time
    min_refresh: float = 1.0
    max_auth_rounds: int = 2
    max_interval_retries: int = 3


@dataclass(frozen=True)
class RegistrationResult:
    """A REGISTER round ended (for `EventLog.registration` and status)."""

    conn: str
    ok: bool
    status: int | None = None
    reason: str | None = None
    expires: int | None = None
    retry_in: float | None = None


class RegistrationState:
    def __init__(
        self,
        conn: str,
        registration: Registration,
        auth: Auth | None,
        *,
        random: RandomBytes,
        uniform: Uniform,
        policy: RegistrationPolicy = RegistrationPolicy(),
        call_id_host: str | None = None,
    ) -> None:
        self.conn = conn
        self.registration = registration
        self.auth = auth
        self.random = random
        self.uniform = uniform
        self.policy = policy
        self.call_id = new_call_id(random, call_id_host)
        self.from_tag = new_tag(random)
        self.cseq = 0
        self.expires = registration.expires  # what we ask for (423 raises it)
        self.state: State = "pending"
        self.due: float | None = None
        self.failures = 0  # consecutive failed rounds
        self.last_code: int | None = None
        self.last_reason: str | None = None
        self.last_error: str | None = None
        self.granted: int | None = None
        self.expires_at: float | None = None
        self.registered_at: float | None = None
        self.target: str | None = None
        self._auth_headers: list[tuple[str, str]] = []
        self._auth_rounds = 0
        self._interval_retries = 0
        self._digest = (
            DigestClient(auth.auth_user, auth.password, random) if auth is not None else None
        )
        self._contact: Address | None = None

    @property
    def request_uri(self) -> SipUri:
        return SipUri(host=self.registration.domain)

    @property
    def aor(self) -> Address:
        return Address(SipUri(host=self.registration.domain, user=self.registration.user))

    def start(self, now: float) -> None:
        self.due = now

    # -- sending ----------------------------------------------------------------------

    def build(
        self,
        identity: SbcIdentity,
        transport: str,
        *,
        target: str | None = None,
        connection_headers: Iterable[tuple[str, str]] = (),
    ) -> Request:
        """The next REGISTER (with credentials after a challenge). Nothing is due until
        its answer or failure is reported."""
        self.cseq += 1
        self.due = None
        self.target = target
        self._contact = identity.contact(transport, self.registration.user)
        headers = [("Expires", str(self.expires)), *self._auth_headers]
        return identity.request(
            "REGISTER",
            self.request_uri,
            transport=transport,
            random=self.random,
            from_addr=self.aor.with_tag(self.from_tag),
            to_addr=self.aor,
            call_id=self.call_id,
            cseq=self.cseq,
            contact=self._contact,
            headers=headers,
            connection_headers=connection_headers,
        )

    # -- answers ----------------------------------------------------------------------

    def on_response(self, response: Response, now: float) -> RegistrationResult | None:
        """A final response. None: send again at once (challenge answered, 423)."""
        code = response.status
        self.last_code = code
        self.last_reason = response.reason or reason_phrase(code)
        if code in (401, 407):
            return self._challenge(response, now)
        self._auth_headers = []
        self._auth_rounds = 0
        if code == 423:
            return self._too_brief(response, now)
        self._interval_retries = 0
        if 200 <= code < 300:
            return self._registered(response, now)
        return self._fail(now, status=code, reason=self.last_reason,
                          retry_after=_retry_after(response))

    def on_failure(self, reason: str, now: float) -> RegistrationResult:
        """No final response: timeout, transport/TLS failure, DNS."""
        self.last_code = None
        self.last_reason = None
        self._auth_headers = []
        self._auth_rounds = 0
        return self._fail(now, error=reason)

    def _challenge(self, response: Response, now: float) -> RegistrationResult | None:
        if self._digest is None:
            return self._fail(now, status=response.status, reason=self.last_reason,
                              error="challenged, but no credentials are configured")
        try:
            offered = challenges_of(response)
        except SipPeerError as err:
            return self._fail(now, status=response.status, reason=self.last_reason,
                              error=f"unreadable challenge: {err.reason}")
        realm = self.auth.realm if self.auth is not None else None
        chosen = [c for c in choose(offered) if realm is None or c.realm == realm]
        stale = any(c.stale for c in chosen)
        self._auth_rounds += 1
        if not chosen:
            names = ", ".join(f"{c.scheme} {c.algorithm} realm={c.realm!r}" for c in offered)
            return self._fail(now, status=response.status, reason=self.last_reason,
                              error=f"no challenge we can answer ({names or 'none'})")
        if self._auth_rounds > self.policy.max_auth_rounds or (
            self._auth_headers and not stale and self._auth_rounds > 1
        ):
            self._auth_rounds = 0
            self._auth_headers = []
            return self._fail(now, status=response.status, reason=self.last_reason,
                              error="credentials rejected")
        uri = str(self.request_uri)
        self._auth_headers = [
            self._digest.authorization(c, "REGISTER", uri) for c in chosen
        ]
        self.due = now
        return None

    def _too_brief(self, response: Response, now: float) -> RegistrationResult | None:
        self._interval_retries += 1
        value = response.headers.get("Min-Expires", "") or ""
        minimum = int(value.strip()) if value.strip().isdigit() else None
        if minimum is None or self._interval_retries > self.policy.max_interval_retries:
            self._interval_retries = 0
            return self._fail(now, status=423, reason=self.last_reason,
                              error="423 without a usable Min-Expires")
        self.expires = max(self.expires, minimum)
        self.due = now
        return None

    def _registered(self, response: Response, now: float) -> RegistrationResult:
        granted = self._granted(response)
        if granted <= 0:
            return self._fail(now, status=response.status, reason=self.last_reason,
                              error="the registrar removed the binding (expires 0)")
        self.state = "registered"
        self.failures = 0
        self.last_error = None
        self.granted = granted
        self.registered_at = now
        self.expires_at = now + granted
        fraction = self.uniform(self.policy.refresh_min, self.policy.refresh_max)
        self.due = now + max(self.policy.min_refresh, granted * fraction)
        return RegistrationResult(self.conn, True, response.status, self.last_reason,
                                  expires=granted)

    def _granted(self, response: Response) -> int:
        try:
            contacts = response.contacts
        except SipPeerError:
            contacts = []
        mine = self._contact.uri if self._contact is not None else None
        for contact in contacts:
            uri = contact.uri
            if (
                isinstance(uri, SipUri)
                and isinstance(mine, SipUri)
                and uri.host.lower() == mine.host.lower()
                and uri.user == mine.user
                and (uri.port or 5060) == (mine.port or 5060)
            ):
                value = contact.params.get("expires")
                if value is not None and value.isdigit():
                    return int(value)
        try:
            header = response.expires
        except SipPeerError:
            header = None
        return header if header is not None else self.expires

    def _fail(
        self,
        now: float,
        *,
        status: int | None = None,
        reason: str | None = None,
        error: str | None = None,
        retry_after: int | None = None,
    ) -> RegistrationResult:
        self.state = "failed"
        self.failures += 1
        self.last_error = error
        backoff = min(self.policy.max_backoff,
                      self.policy.base_backoff * 2 ** min(self.failures - 1, 16))
        delay = backoff * self.uniform(0.5, 1.0)
        if retry_after is not None:
            delay = float(min(retry_after, self.policy.max_backoff))
        self.due = now + delay
        why = reason if error is None else (f"{reason}: {error}" if reason else error)
        return RegistrationResult(self.conn, False, status, why, retry_in=delay)

    def status(self, to_wall: float = 0.0) -> dict[str, object]:
        def wall(t: float | None) -> float | None:
            return None if t is None else t + to_wall

        return {
            "state": self.state,
            "aor": self.registration.aor,
            "code": self.last_code,
            "reason": self.last_reason,
            "error": self.last_error,
            "expires": self.granted,
            "expires_at": wall(self.expires_at) if self.state == "registered" else None,
            "next_attempt": wall(self.due),
            "failures": self.failures,
            "target": self.target,
        }


def _retry_after(response: Response) -> int | None:
    value = (response.headers.get("Retry-After") or "").split(";")[0].split("(")[0].strip()
    return int(value) if value.isdigit() else None

