"""What the appliance's cryptography (Debian 12: version 38) lacks, written once.

The development venv has a recent cryptography, the appliance runs Debian's 38.0.4. Version
38 has no `not_valid_after_utc` (42), no `verify_directly_issued_by` (40) and no
`x509.verification` (42), and the newer versions deprecate the naive datetimes. Every use
of those goes through here, so the rest of the package runs on both.
"""

from __future__ import annotations

import datetime as dt

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa
from cryptography.x509.oid import SignatureAlgorithmOID

UTC = dt.UTC


def not_before(cert: x509.Certificate) -> dt.datetime:
    """Start of validity, timezone-aware UTC."""
    value = getattr(cert, "not_valid_before_utc", None)
    if isinstance(value, dt.datetime):
        return value
    return cert.not_valid_before.replace(tzinfo=UTC)


def not_after(cert: x509.Certificate) -> dt.datetime:
    """End of validity, timezone-aware UTC."""
    value = getattr(cert, "not_valid_after_utc", None)
    if isinstance(value, dt.datetime):
        return value
    return cert.not_valid_after.replace(tzinfo=UTC)


def now_utc() -> dt.datetime:
    return dt.datetime.now(UTC)


def signature_hash(cert: x509.Certificate) -> hashes.HashAlgorithm | None:
    """The hash of the certificate's signature; None if unknown or not separate (Ed25519)."""
    try:
        return cert.signature_hash_algorithm
    except UnsupportedAlgorithm:
        return None


def is_signed_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    """True if `issuer`'s name is `cert`'s issuer name and its key verifies the signature.

    The signature is checked with the issuer's public key over the to-be-signed bytes,
    which is what `verify_directly_issued_by` does in newer versions.
    """
    if cert.issuer != issuer.subject:
        return False
    key = issuer.public_key()
    data = cert.tbs_certificate_bytes
    signature = cert.signature
    algorithm = signature_hash(cert)
    try:
        if isinstance(key, rsa.RSAPublicKey) and algorithm is not None:
            key.verify(signature, data, _rsa_padding(cert, algorithm), algorithm)
        elif isinstance(key, ec.EllipticCurvePublicKey) and algorithm is not None:
            key.verify(signature, data, ec.ECDSA(algorithm))
        elif isinstance(key, dsa.DSAPublicKey) and algorithm is not None:
            key.verify(signature, data, algorithm)
        elif isinstance(key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
            key.verify(signature, data)
        else:
            return False
    except (InvalidSignature, UnsupportedAlgorithm, ValueError, TypeError):
        return False
    return True


def _rsa_padding(
    cert: x509.Certificate, algorithm: hashes.HashAlgorithm
) -> padding.AsymmetricPadding:
    if cert.signature_algorithm_oid != SignatureAlgorithmOID.RSASSA_PSS:
        return padding.PKCS1v15()
    params = getattr(cert, "signature_algorithm_parameters", None)  # cryptography >= 41
    if isinstance(params, padding.PSS):
        return params
    # Version 38 does not expose the PSS parameters; these are what every CA uses.
    return padding.PSS(mgf=padding.MGF1(algorithm), salt_length=algorithm.digest_size)
