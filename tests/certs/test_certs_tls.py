"""TLS contexts over loopback: mutual certificates, SNI, cipher suites, refusals (AT-3, AT-5)."""

from __future__ import annotations

import socket
import ssl
import warnings
from collections.abc import Callable
from pathlib import Path

import pytest
from certs_loopback import OneShotServer
from sbc.certs.errors import CertError
from sbc.certs.testpki import LabCA, LabFiles, write_lab_pki
from sbc.certs.tls import TEAMS_CIPHERS, client_context, peer_names, server_context

SBC = "sbc.lab.test"
TEAMS = "sip.pstnhub.microsoft.com"
Start = Callable[..., OneShotServer]


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory, lab_ca: LabCA) -> LabFiles:
    return write_lab_pki(tmp_path_factory.mktemp("pki"), [SBC, TEAMS], ca=lab_ca)


def teams_server(lab: LabFiles) -> ssl.SSLContext:
    leaf = lab.leaves[TEAMS]
    return server_context(leaf.cert, leaf.key, lab.ca_bundle)


def sbc_client(lab: LabFiles) -> ssl.SSLContext:
    leaf = lab.leaves[SBC]
    return client_context(leaf.cert, leaf.key, lab.ca_bundle)


def talk(ctx: ssl.SSLContext, port: int, server_hostname: str,
         host: str = "127.0.0.1") -> tuple[bytes, str | None, str | None]:
    """Connect, handshake, send a ping, return (reply, version, cipher)."""
    with socket.create_connection((host, port), timeout=5) as raw, ctx.wrap_socket(
        raw, server_hostname=server_hostname
    ) as tls:
        tls.sendall(b"ping")
        reply = tls.recv(100)
        cipher = tls.cipher()
        return reply, tls.version(), cipher[0] if cipher else None


def test_mutual_handshake_sbc_to_teams(lab: LabFiles, tls_server: Start) -> None:
    server = tls_server(teams_server(lab))
    reply, version, _ = talk(sbc_client(lab), server.port, TEAMS)
    server.join()
    assert reply == b"pong" and version == "TLSv1.3"
    assert server.error is None
    assert server.sni == [TEAMS]  # SNI is the name passed, not the address
    assert peer_names(server.peercert) == [SBC]


def test_mutual_handshake_teams_to_sbc(lab: LabFiles, tls_server: Start) -> None:
    sbc, teams = lab.leaves[SBC], lab.leaves[TEAMS]
    server = tls_server(server_context(sbc.cert, sbc.key, lab.ca_bundle))
    reply, _, _ = talk(client_context(teams.cert, teams.key, lab.ca_bundle), server.port, SBC)
    server.join()
    assert reply == b"pong"
    assert server.sni == [SBC]
    assert peer_names(server.peercert) == [TEAMS]


def test_sni_is_exactly_the_name_passed(lab: LabFiles, tls_server: Start,
                                        lab_ca: LabCA, tmp_path: Path) -> None:
    multi = lab_ca.write(tmp_path, lab_ca.issue(TEAMS, sans=[TEAMS, "sip2.pstnhub.microsoft.com"]))
    server = tls_server(server_context(multi.cert, multi.key, lab.ca_bundle))
    talk(sbc_client(lab), server.port, "sip2.pstnhub.microsoft.com")
    assert server.join().sni == ["sip2.pstnhub.microsoft.com"]


def test_server_refuses_client_without_certificate(lab: LabFiles, tls_server: Start) -> None:
    server = tls_server(teams_server(lab))
    anonymous = client_context(None, None, lab.ca_bundle)
    with pytest.raises(OSError):  # TLS 1.3: an alert or a reset, after the client's Finished
        talk(anonymous, server.port, TEAMS)
    server.join()
    assert isinstance(server.error, ssl.SSLError)
    assert "did not return a certificate" in str(server.error)


def test_server_refuses_client_certificate_from_unknown_ca(
    lab: LabFiles, tls_server: Start, other_ca: LabCA, tmp_path: Path
) -> None:
    stranger = other_ca.write(tmp_path, other_ca.issue(SBC))
    server = tls_server(teams_server(lab))
    with pytest.raises(OSError):
        talk(client_context(stranger.cert, stranger.key, lab.ca_bundle), server.port, TEAMS)
    assert "certificate verify failed" in str(server.join().error)


def test_client_sends_its_intermediate(lab: LabFiles, tls_server: Start,
                                       lab_ca: LabCA, tmp_path: Path) -> None:
    """The bundle on the other side holds only the root: the chain must come from us."""
    leaf_only = lab.leaves[SBC].leaf
    server = tls_server(teams_server(lab))
    with pytest.raises(OSError):
        talk(client_context(leaf_only, lab.leaves[SBC].key, lab.ca_bundle), server.port, TEAMS)
    assert "unable to get local issuer certificate" in str(server.join().error)


def test_client_refuses_unknown_issuer(lab: LabFiles, tls_server: Start,
                                       other_ca: LabCA, tmp_path: Path) -> None:
    fake = other_ca.write(tmp_path, other_ca.issue(TEAMS))
    server = tls_server(server_context(fake.cert, fake.key, lab.ca_bundle))
    with pytest.raises(ssl.SSLCertVerificationError) as err:
        talk(sbc_client(lab), server.port, TEAMS)
    server.join()
    assert err.value.verify_code == 20  # X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY


def test_client_checks_host_name(lab: LabFiles, tls_server: Start) -> None:
    server = tls_server(teams_server(lab))
    with pytest.raises(ssl.SSLCertVerificationError) as err:
        talk(sbc_client(lab), server.port, "sip3.pstnhub.microsoft.com")
    server.join()
    assert err.value.verify_code == 62  # X509_V_ERR_HOSTNAME_MISMATCH


@pytest.mark.parametrize("cipher", TEAMS_CIPHERS)
def test_each_teams_suite_on_tls12(lab: LabFiles, tls_server: Start, cipher: str) -> None:
    server = tls_server(teams_server(lab))
    ctx = sbc_client(lab)
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_ciphers(cipher)
    reply, version, negotiated = talk(ctx, server.port, TEAMS)
    server.join()
    assert (reply, version, negotiated) == (b"pong", "TLSv1.2", cipher)
    assert server.cipher == cipher


def test_server_prefers_gcm_on_tls12(lab: LabFiles, tls_server: Start) -> None:
    server = tls_server(teams_server(lab))
    ctx = sbc_client(lab)
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_ciphers(":".join(reversed(TEAMS_CIPHERS)))
    _, _, negotiated = talk(ctx, server.port, TEAMS)
    server.join()
    assert negotiated == TEAMS_CIPHERS[0]


def test_tls11_refused(lab: LabFiles, tls_server: Start) -> None:
    server = tls_server(teams_server(lab))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx.minimum_version = ssl.TLSVersion.TLSv1
        ctx.maximum_version = ssl.TLSVersion.TLSv1_1
    try:
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    except ssl.SSLError:
        pass
    with pytest.raises(ssl.SSLError):
        talk(ctx, server.port, TEAMS)
    server.join()
    assert server.error is not None


def test_context_settings(lab: LabFiles) -> None:
    server, client = teams_server(lab), sbc_client(lab)
    for ctx in (server, client):
        assert ctx.minimum_version == ssl.TLSVersion.TLSv1_2
        assert ctx.verify_mode == ssl.CERT_REQUIRED
        names = [c["name"] for c in ctx.get_ciphers()]
        assert all(c in names for c in TEAMS_CIPHERS)
    assert client.check_hostname


@pytest.mark.skipif(not socket.has_ipv6, reason="no IPv6")
def test_ipv6_loopback(lab: LabFiles, tls_server: Start) -> None:
    try:
        server = tls_server(teams_server(lab), host="::1")
    except OSError:
        pytest.skip("::1 not configured")
    reply, _, _ = talk(sbc_client(lab), server.port, TEAMS, host="::1")
    assert reply == b"pong" and server.join().sni == [TEAMS]


def test_load_errors_are_clear(lab: LabFiles, tmp_path: Path) -> None:
    sbc, teams = lab.leaves[SBC], lab.leaves[TEAMS]
    with pytest.raises(CertError, match="does not exist") as err:
        server_context(tmp_path / "nope.crt", sbc.key, lab.ca_bundle)
    assert err.value.check == "load"
    with pytest.raises(CertError, match="cannot load the SBC certificate"):
        client_context(sbc.cert, teams.key, lab.ca_bundle)  # key of another cert
    with pytest.raises(CertError, match="sbc cert bundle"):
        client_context(sbc.cert, sbc.key, tmp_path / "ca.pem")


def test_peer_names() -> None:
    assert peer_names(None) == []
    cert = {
        "subject": ((("commonName", "a.test"),),),
        "subjectAltName": (("DNS", "a.test"), ("DNS", "b.test"), ("IP Address", "1.2.3.4")),
    }
    assert peer_names(cert) == ["a.test", "b.test"]
