"""Answering the CA's challenge, one kind per class, both used the same way:

    answer = Http01Answer(port, bind, opener)   # or Dns01Answer(settings, fqdn)
    response = answer.add(challb, name, account_key)   # per pending authorization
    with answer:                                # served / published only in here
        ...tell the CA, poll...

HTTP-01 opens the port in nftables and starts the challenge server; DNS-01 adds the TXT
records by RFC 2136 update and deletes them on the way out.
"""

from __future__ import annotations

import contextlib
from types import TracebackType

import josepy as jose
from acme import challenges, messages

from ...config.model import AcmeSettings
from .challenge import ChallengeServer
from .dns01 import DnsUpdateError, DnsUpdater, TsigKey
from .firewall import PortOpener


class Answer(contextlib.AbstractContextManager["Answer"]):
    """One kind of challenge: `kind` to pick it among the offered ones, `add` to prepare
    an answer, the `with` block while the CA checks it."""

    kind: type[challenges.Challenge]

    def add(self, challb: messages.ChallengeBody, name: str,
            key: jose.JWK) -> challenges.ChallengeResponse:
        raise NotImplementedError

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        raise NotImplementedError


class Http01Answer(Answer):
    kind = challenges.HTTP01

    def __init__(self, port: int, bind: str, opener: PortOpener) -> None:
        self.port, self.opener = port, opener
        self.server = ChallengeServer(port, bind)
        self._stack = contextlib.ExitStack()

    def add(self, challb: messages.ChallengeBody, name: str,
            key: jose.JWK) -> challenges.ChallengeResponse:
        assert isinstance(challb.chall, challenges.HTTP01)
        response, validation = challb.chall.response_and_validation(key)
        self.server.add(challb.chall.path, validation)
        return response

    def __enter__(self) -> Http01Answer:
        with contextlib.ExitStack() as stack:
            stack.enter_context(self.opener(self.port))
            stack.enter_context(self.server)
            self._stack = stack.pop_all()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._stack.close()  # the server stops, then the port closes


class Dns01Answer(Answer):
    kind = challenges.DNS01

    def __init__(self, settings: AcmeSettings, fqdn: str) -> None:
        assert settings.dns_server and settings.tsig_name and settings.tsig_secret
        zone = settings.dns_zone or fqdn.split(".", 1)[1]
        host, port = settings.dns_server
        key = TsigKey(settings.tsig_name, settings.tsig_secret, settings.tsig_algorithm)
        self.updater = DnsUpdater(zone, host, port, key)
        self.records: list[tuple[str, str]] = []

    def add(self, challb: messages.ChallengeBody, name: str,
            key: jose.JWK) -> challenges.ChallengeResponse:
        assert isinstance(challb.chall, challenges.DNS01)
        response, validation = challb.chall.response_and_validation(key)
        self.records.append((challb.chall.validation_domain_name(name), validation))
        return response

    def __enter__(self) -> Dns01Answer:
        try:
            for owner, value in self.records:
                self.updater.add(owner, value)
        except BaseException:
            with contextlib.suppress(DnsUpdateError):
                self.updater.remove_all()  # those added before the failure
            raise
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.updater.__exit__(kind, exc, tb)
