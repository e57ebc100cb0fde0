"""One certificate order with certbot's `acme` library (RFC 8555): no protocol code here.

    account (made once, with External Account Binding when configured)
    -> a new RSA key and a CSR for the FQDN (CN and SAN: Microsoft's proxy reads the CN)
    -> new order -> the answers (answer.py: HTTP-01 with the port open, or DNS-01 TXT
       records) in place only while the CA checks -> poll -> finalize
    -> the key and the full chain as PEM, not installed yet (`renew` checks them first)

Every failure becomes `AcmeError` carrying the CA's own message (the RFC 7807 problem
document's detail), which the state file and the log keep for the admin.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import josepy as jose
import requests
from acme import challenges, client, errors, messages
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from ...config.model import AcmeSettings
from ...firewall.nft import NftError
from .answer import Answer, Dns01Answer, Http01Answer
from .dns01 import DnsUpdateError
from .firewall import PortOpener, port_open
from .store import AcmeFiles

KEY_BITS = 2048  # Teams negotiates only ECDHE-RSA suites: the SBC's key is RSA
TIMEOUT = 30  # seconds per HTTP request to the CA
VALIDATION_TIME = dt.timedelta(seconds=120)  # challenge, finalization, download
USER_AGENT = "OpenSBC (acme-python)"
ACCOUNT_GONE = "urn:ietf:params:acme:error:accountDoesNotExist"


class AcmeError(Exception):
    """The order failed; `ca_error` is what the CA said, when it said something."""

    def __init__(self, message: str, ca_error: str = "") -> None:
        super().__init__(f"{message}: {ca_error}" if ca_error else message)
        self.message = message
        self.ca_error = ca_error


@dataclass(frozen=True)
class Issued:
    key_pem: bytes
    fullchain_pem: bytes


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)


def make_csr(key: rsa.RSAPrivateKey, fqdn: str) -> bytes:
    """CN and the one DNS SAN are the FQDN (the checks of `assess.check_fqdn`)."""
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, fqdn)]))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(fqdn)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    return csr.public_bytes(serialization.Encoding.PEM)


def obtain(
    settings: AcmeSettings,
    fqdn: str,
    files: AcmeFiles,
    *,
    bind: str = "",
    opener: PortOpener = port_open,
) -> Issued:
    """Order a certificate for `fqdn`; raises AcmeError with the CA's message."""
    with _ca_errors(settings.directory):
        account_key = jose.JWKRSA(key=files.load_account_key())
        net = client.ClientNetwork(account_key, user_agent=USER_AGENT, timeout=TIMEOUT)
        directory = messages.Directory.from_json(net.get(settings.directory).json())
        acme = client.ClientV2(directory, net)
        _account(acme, settings, files, account_key)
        key = new_key()
        csr = make_csr(key, fqdn)
        try:
            order = acme.new_order(csr)
        except messages.Error as err:
            if err.typ != ACCOUNT_GONE:
                raise
            _account(acme, settings, files, account_key, fresh=True)  # the CA forgot us
            order = acme.new_order(csr)
        answer: Answer = (Dns01Answer(settings, fqdn) if settings.challenge == "dns-01"
                          else Http01Answer(settings.http_port, bind, opener))
        pending = _prepare(order, account_key, answer)
        if pending:
            with answer:
                for challb, response in pending:
                    acme.answer_challenge(challb, response)
                order = acme.poll_and_finalize(order, _deadline())
        else:  # the CA still has valid authorizations for the name
            order = acme.poll_and_finalize(order, _deadline())
    if not order.fullchain_pem:
        raise AcmeError("the CA finalized the order without a certificate")
    pem = key.private_bytes(serialization.Encoding.PEM,
                            serialization.PrivateFormat.TraditionalOpenSSL,
                            serialization.NoEncryption())
    return Issued(pem, order.fullchain_pem.encode("ascii"))


def _deadline() -> dt.datetime:
    """The library compares with the naive local `datetime.now()`."""
    return dt.datetime.now() + VALIDATION_TIME


def _account(acme: client.ClientV2, settings: AcmeSettings, files: AcmeFiles,
             key: jose.JWKRSA, *, fresh: bool = False) -> None:
    """Use the stored account at this CA, else register (agreeing to its terms)."""
    uri = None if fresh else files.account_uri(settings.directory)
    if uri is None:
        eab = None
        if settings.eab_kid and settings.eab_hmac:
            eab = messages.ExternalAccountBinding.from_data(
                account_public_key=key.public_key(), kid=settings.eab_kid,
                hmac_key=settings.eab_hmac, directory=acme.directory)
        registration = messages.NewRegistration.from_data(
            email=settings.email, terms_of_service_agreed=True,
            external_account_binding=eab)
        try:
            uri = acme.new_account(registration).uri
        except errors.ConflictError as exists:  # the key has an account already
            uri = exists.location
        files.save_account(settings.directory, uri)
    acme.net.account = messages.RegistrationResource(uri=uri, body=messages.Registration())


Pending = list[tuple[messages.ChallengeBody, challenges.ChallengeResponse]]


def _prepare(order: messages.OrderResource, key: jose.JWKRSA, answer: Answer) -> Pending:
    """The challenge of `answer`'s kind for each pending authorization, prepared."""
    pending = []
    for authz in order.authorizations:
        if authz.body.status == messages.STATUS_VALID:
            continue
        name = authz.body.identifier.value
        challb = next((c for c in authz.body.challenges if isinstance(c.chall, answer.kind)),
                      None)
        if challb is None:
            offered = ", ".join(sorted({c.chall.typ for c in authz.body.challenges}))
            raise AcmeError(f"the CA offers no {answer.kind.typ} challenge for {name}",
                            f"it offers {offered or 'none'}; change acme.challenge")
        pending.append((challb, answer.add(challb, name, key)))
    return pending


@contextlib.contextmanager
def _ca_errors(directory: str) -> Iterator[None]:
    """The library's and the network's exceptions as AcmeError, with the CA's words."""
    try:
        yield
    except AcmeError:
        raise
    except errors.ValidationError as exc:
        raise AcmeError("the CA could not validate the name", _validation(exc)) from exc
    except messages.Error as exc:
        raise AcmeError("the CA refused the request", _problem(exc)) from exc
    except errors.TimeoutError as exc:
        raise AcmeError("the CA did not finish the order in time", str(exc)) from exc
    except errors.IssuanceError as exc:
        raise AcmeError("the CA did not issue the certificate", _problem(exc.error)) from exc
    except requests.exceptions.RequestException as exc:
        raise AcmeError(f"cannot reach the CA at {directory}", str(exc)) from exc
    except (errors.Error, ValueError, KeyError) as exc:
        raise AcmeError(f"unexpected answer from the CA at {directory}", str(exc)) from exc
    except (OSError, NftError) as exc:  # the challenge port is taken, nft failed
        raise AcmeError("cannot serve the HTTP-01 challenge", str(exc)) from exc
    except DnsUpdateError as exc:
        raise AcmeError("cannot publish the DNS-01 record", str(exc)) from exc


def _problem(err: messages.Error) -> str:
    text = err.detail or err.description or ""
    return f"{text} ({err.typ})" if err.typ else text


def _validation(exc: errors.ValidationError) -> str:
    found = [
        f"{a.body.identifier.value}: {_problem(c.error)}"
        for a in exc.failed_authzrs for c in a.body.challenges if c.error is not None
    ]
    return "; ".join(found) or str(exc)
