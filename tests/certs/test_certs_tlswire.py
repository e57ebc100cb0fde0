"""Handshake message parsing for tls-check (TLS 1.2 and 1.3 Certificate messages)."""

from __future__ import annotations

from sbc.certs.tlswire import ALERT, CERTIFICATE, HANDSHAKE, HandshakeLog, parse_certificate_message


def _u24(n: int) -> bytes:
    return n.to_bytes(3, "big")


def tls12_message(certs: list[bytes]) -> bytes:
    body = b"".join(_u24(len(c)) + c for c in certs)
    payload = _u24(len(body)) + body
    return bytes([CERTIFICATE]) + _u24(len(payload)) + payload


def tls13_message(certs: list[bytes], context: bytes = b"") -> bytes:
    body = b"".join(_u24(len(c)) + c + b"\x00\x04abcd" for c in certs)
    payload = bytes([len(context)]) + context + _u24(len(body)) + body
    return bytes([CERTIFICATE]) + _u24(len(payload)) + payload


def test_tls12() -> None:
    certs = [b"leaf-der", b"intermediate"]
    assert parse_certificate_message(tls12_message(certs), tls13=False) == certs
    assert parse_certificate_message(tls12_message([]), tls13=False) == []


def test_tls13_with_extensions_and_context() -> None:
    certs = [b"leaf-der", b"intermediate"]
    assert parse_certificate_message(tls13_message(certs, b"ctx"), tls13=True) == certs
    assert parse_certificate_message(tls13_message([]), tls13=True) == []


def test_log_records_direction_and_alerts() -> None:
    log = HandshakeLog()
    log.on_message(None, "read", 0x0304, HANDSHAKE, CERTIFICATE, tls13_message([b"a", b"b"]))
    log.on_message(None, "write", 0x0304, HANDSHAKE, CERTIFICATE, tls13_message([]))
    log.on_message(None, "read", 0x0304, HANDSHAKE, 13, b"\x0d\x00\x00\x00")
    log.on_message(None, "read", 0x0303, ALERT, 0, b"\x02\x74")
    assert log.peer_chain_der == [b"a", b"b"]
    assert log.client_certificates_sent == 0
    assert log.certificate_requested
    assert log.alert_received == 116
    assert log.peer_chain == []  # not DER: dropped, never raised


def test_log_never_raises_on_garbage() -> None:
    log = HandshakeLog()
    log.on_message(None, "read", 0x0304, HANDSHAKE, CERTIFICATE, b"\x0b")
    log.on_message(None, "read", 0x0304, ALERT, 0, b"")
    assert log.alert_received is None
