"""`tls-check` over loopback: one test per failure kind, each explained in plain words."""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from certs_loopback import OneShotServer
from sbc.certs import tlscheck, tlswire
from sbc.certs.testpki import LabCA, LabFiles, write_lab_pki
from sbc.certs.tls import TEAMS_CIPHERS, server_context
from sbc.certs.tlscheck import TlsCheckResult, parse_target, tls_check

SBC = "sbc.lab.test"
TEAMS = "sip.pstnhub.microsoft.com"
HOSTS = {TEAMS: "127.0.0.1", "sip2.pstnhub.microsoft.com": "127.0.0.1"}
Start = Callable[..., OneShotServer]


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory, lab_ca: LabCA) -> LabFiles:
    return write_lab_pki(tmp_path_factory.mktemp("pki"), [SBC, TEAMS], ca=lab_ca)


def teams(lab: LabFiles, tls12: bool = False) -> ssl.SSLContext:
    ctx = server_context(lab.leaves[TEAMS].cert, lab.leaves[TEAMS].key, lab.ca_bundle)
    if tls12:
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    return ctx


def check(lab: LabFiles, port: int, *, host: str = TEAMS, with_cert: bool = True,
          cert: Path | None = None, key: Path | None = None, **kw: object) -> TlsCheckResult:
    sbc = lab.leaves[SBC]
    return tls_check(
        f"{host}:{port}",
        ca_bundle=lab.ca_bundle,
        cert=cert or (sbc.cert if with_cert else None),
        key=key or (sbc.key if with_cert else None),
        host_map=HOSTS,
        timeout=3,
        settle=0.5,
        **kw,
    )


@pytest.mark.parametrize("tls12", [False, True], ids=["tls13", "tls12"])
def test_ok(lab: LabFiles, tls_server: Start, tls12: bool) -> None:
    server = tls_server(teams(lab, tls12))
    result = check(lab, server.port)
    server.join()
    assert result.ok and result.kind == "ok", result.explanation
    d = result.details
    assert d["address"] == "127.0.0.1" and d["servername"] == TEAMS and d["sni"]
    assert server.sni == [TEAMS]
    assert d["protocol"] == ("TLSv1.2" if tls12 else "TLSv1.3")
    if tls12:
        assert d["cipher"] == TEAMS_CIPHERS[0]
    assert [c["subject"] for c in d["peer_chain"]] == [
        "CN=sip.pstnhub.microsoft.com,O=OpenSBC Test",
        "CN=OpenSBC Test Intermediate CA,O=OpenSBC Test",
    ]
    assert d["peer_chain"][0]["names"] == [TEAMS]
    assert d["certificate_requested"] is True and d["client_certificates_sent"] == 2
    text = result.format_text()
    assert "Server certificate chain:" in text and text.endswith("OK: the TLS handshake succeeded")
    assert f"SNI {TEAMS}" in text


def test_servername_option_sets_sni(lab: LabFiles, tls_server: Start) -> None:
    server = tls_server(teams(lab))
    result = check(lab, server.port, host="127.0.0.1", servername=TEAMS)
    assert result.ok, result.explanation
    assert server.join().sni == [TEAMS]


def test_unknown_issuer(lab: LabFiles, tls_server: Start, other_ca: LabCA,
                        tmp_path: Path) -> None:
    fake = other_ca.write(tmp_path, other_ca.issue(TEAMS))
    server = tls_server(server_context(fake.cert, fake.key, lab.ca_bundle))
    result = check(lab, server.port)
    server.join()
    assert result.kind == "unknown_issuer" and not result.ok
    assert result.explanation == (
        f"the server's certificate was issued by Unknown Test Root CA, which is not in "
        f"{lab.ca_bundle}: add that root with `sbc cert add-ca`"
    )
    assert len(result.details["peer_chain"]) == 2  # the chain is shown even on failure


def test_unknown_root_sent_by_server(lab: LabFiles, tls_server: Start, other_ca: LabCA,
                                     tmp_path: Path) -> None:
    leaf = other_ca.issue(TEAMS)
    files = other_ca.write(tmp_path, leaf)
    files.cert.write_bytes(files.cert.read_bytes() + other_ca.root.cert_pem)
    server = tls_server(server_context(files.cert, files.key, lab.ca_bundle))
    result = check(lab, server.port)
    server.join()
    assert result.kind == "unknown_issuer"
    assert "ends at the root Unknown Test Root CA, which is not in" in result.explanation


def test_self_signed_server(lab: LabFiles, tls_server: Start, tmp_path: Path,
                            lab_ca: LabCA) -> None:
    own = lab_ca.issue(TEAMS)
    selfsigned = lab_ca.issue(TEAMS, key=own.key, issuer=own)
    (tmp_path / "s.crt").write_bytes(selfsigned.cert_pem)
    (tmp_path / "s.key").write_bytes(own.key_pem)
    server = tls_server(server_context(tmp_path / "s.crt", tmp_path / "s.key", lab.ca_bundle))
    result = check(lab, server.port)
    server.join()
    assert result.kind == "unknown_issuer" and "is self-signed" in result.explanation


def test_name_mismatch(lab: LabFiles, tls_server: Start) -> None:
    server = tls_server(teams(lab))
    result = check(lab, server.port, host="sip2.pstnhub.microsoft.com")
    server.join()
    assert result.kind == "name_mismatch"
    assert result.explanation == (
        "the certificate is for sip.pstnhub.microsoft.com, not sip2.pstnhub.microsoft.com"
    )


def test_expired_server_certificate(lab: LabFiles, tls_server: Start, lab_ca: LabCA,
                                    tmp_path: Path) -> None:
    old = lab_ca.write(tmp_path, lab_ca.issue(TEAMS, days=-2))
    server = tls_server(server_context(old.cert, old.key, lab.ca_bundle))
    result = check(lab, server.port)
    server.join()
    assert result.kind == "expired"
    assert "the server's certificate sip.pstnhub.microsoft.com expired on" in result.explanation


@pytest.mark.parametrize("tls12", [False, True], ids=["tls13", "tls12"])
def test_client_certificate_missing(lab: LabFiles, tls_server: Start, tls12: bool) -> None:
    server = tls_server(teams(lab, tls12))
    result = check(lab, server.port, with_cert=False)
    server.join()
    assert result.kind == "client_cert_missing", result.details
    assert result.explanation.startswith(
        "the server asked for a client certificate and the SBC has none configured"
    )
    assert result.details["certificate_requested"] is True


@pytest.mark.parametrize("tls12", [False, True], ids=["tls13", "tls12"])
def test_client_certificate_rejected(lab: LabFiles, tls_server: Start, other_ca: LabCA,
                                     tmp_path: Path, tls12: bool) -> None:
    stranger = other_ca.write(tmp_path, other_ca.issue(SBC))
    bundle = tmp_path / "both.pem"
    bundle.write_bytes(lab.ca_bundle.read_bytes())
    server = tls_server(teams(lab, tls12))
    result = check(lab, server.port, cert=stranger.cert, key=stranger.key)
    server.join()
    assert result.kind == "client_cert_rejected", result.details
    assert "rejected the SBC's client certificate: it does not trust the CA" in (
        result.explanation
    )
    assert result.details["alert_received"] == "unknown_ca"


def test_without_message_callback_still_explains(
    lab: LabFiles, tls_server: Start, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tlscheck, "attach", lambda ctx: tlswire.HandshakeLog())
    server = tls_server(teams(lab))
    result = check(lab, server.port, with_cert=False)
    server.join()
    assert result.kind == "client_cert_missing", result.details
    assert result.details["certificate_requested"] is None


def test_connection_refused(lab: LabFiles) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = check(lab, port)
    assert result.kind == "refused"
    assert result.explanation == (
        f"127.0.0.1 port {port} refused the connection: nothing listens there, or a "
        "firewall rejects it"
    )


def test_handshake_timeout(lab: LabFiles) -> None:
    with socket.socket() as silent:  # accepts TCP (backlog) but never speaks TLS
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        result = tls_check(f"127.0.0.1:{silent.getsockname()[1]}", ca_bundle=lab.ca_bundle,
                           servername=TEAMS, timeout=0.5)
    assert result.kind == "timeout" and "handshake got no answer within 0.5 s" in (
        result.explanation
    )


def test_connect_timeout_and_dns(lab: LabFiles, monkeypatch: pytest.MonkeyPatch) -> None:
    def timeout(*args: object, **kw: object) -> socket.socket:
        raise TimeoutError

    def no_name(*args: object, **kw: object) -> socket.socket:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(tlscheck.socket, "create_connection", timeout)
    result = tls_check("sbc.example.test", ca_bundle=lab.ca_bundle, timeout=2)
    assert result.kind == "timeout" and result.details["port"] == 5061
    assert "no answer from sbc.example.test port 5061 within 2 s" in result.explanation
    monkeypatch.setattr(tlscheck.socket, "create_connection", no_name)
    result = tls_check("sbc.example.test:5061", ca_bundle=lab.ca_bundle)
    assert result.kind == "dns" and "does not resolve" in result.explanation


@pytest.fixture
def plain_sip_server() -> Iterator[int]:
    """A plain-TCP SIP endpoint (port 5060 by mistake): answers with SIP text."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(1)

    def serve() -> None:
        try:
            conn, _ = sock.accept()
        except OSError:
            return
        with conn:
            conn.recv(4096)
            conn.sendall(b"SIP/2.0 400 Bad Request\r\nContent-Length: 0\r\n\r\n")

    threading.Thread(target=serve, daemon=True).start()
    yield sock.getsockname()[1]
    sock.close()


def test_not_tls(lab: LabFiles, plain_sip_server: int) -> None:
    result = check(lab, plain_sip_server)
    assert result.kind == "not_tls", result.details


def test_server_without_intermediate_noted(lab: LabFiles, tls_server: Start,
                                           tmp_path: Path) -> None:
    leaf = lab.leaves[TEAMS]
    bundle = tmp_path / "bundle.pem"
    bundle.write_bytes(lab.ca_bundle.read_bytes() + lab.intermediate.read_bytes())
    server = tls_server(server_context(leaf.leaf, leaf.key, lab.ca_bundle))
    result = tls_check(f"{TEAMS}:{server.port}", ca_bundle=bundle, cert=lab.leaves[SBC].cert,
                       key=lab.leaves[SBC].key, host_map=HOSTS, settle=0.3)
    server.join()
    assert result.ok
    assert any("sent no intermediate" in n for n in result.details["notes"])


def test_missing_bundle_is_a_config_error(lab: LabFiles, tmp_path: Path) -> None:
    result = tls_check("127.0.0.1:1", ca_bundle=tmp_path / "none.pem")
    assert result.kind == "config" and "sbc cert bundle" in result.explanation


def test_host_map_with_port(lab: LabFiles, tls_server: Start) -> None:
    server = tls_server(teams(lab))
    result = tls_check(TEAMS, ca_bundle=lab.ca_bundle, cert=lab.leaves[SBC].cert,
                       key=lab.leaves[SBC].key, host_map={TEAMS: f"127.0.0.1:{server.port}"},
                       settle=0.3)
    server.join()
    assert result.ok and result.details["port"] == server.port


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("sip.pstnhub.microsoft.com:5061", ("sip.pstnhub.microsoft.com", 5061)),
        ("sbc.lab.test", ("sbc.lab.test", None)),
        ("[::1]:5061", ("::1", 5061)),
        ("[::1]", ("::1", None)),
        ("2001:db8::1", ("2001:db8::1", None)),
        ("127.0.0.1:5081", ("127.0.0.1", 5081)),
    ],
)
def test_parse_target(target: str, expected: tuple[str, int | None]) -> None:
    assert parse_target(target) == expected


@pytest.mark.parametrize("target", [":5061", "host:0", "host:x", "host:70000"])
def test_parse_target_errors(target: str) -> None:
    with pytest.raises(ValueError):
        parse_target(target)


def test_result_to_dict() -> None:
    result = TlsCheckResult(False, "refused", "nope", {"host": "h", "port": 1})
    assert result.to_dict() == {
        "ok": False, "kind": "refused", "explanation": "nope", "details": {"host": "h", "port": 1}
    }
