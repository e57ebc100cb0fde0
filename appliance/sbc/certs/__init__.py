"""Certificates and TLS for the SBC.

The Teams leg is mutual TLS: Microsoft's proxies check the SBC's certificate (FQDN in CN
and SAN, a public CA, serverAuth + clientAuth, an RSA key for the ECDHE-RSA suites) and
the SBC checks theirs against a trust store that must follow Microsoft's root moves. Each
module does one job:

- `paths`     where the files live (`/data/...` on the appliance, any folder in tests)
- `pem`       PEM/DER parsing of certificates and keys
- `names`     FQDN syntax and RFC 2818 name matching
- `compat`    what cryptography 38 (Debian 12's package) lacks: UTC validity, signatures
- `chain`     chain building and verification
- `bundle`    the CA bundle `/data/ca.pem` and the admin's extra roots
- `csr`       key and certificate signing request
- `importer`  checked installation of a signed certificate
- `show`      a certificate as text or as a dict for JSON
- `tls`       `ssl.SSLContext` factories for the server and client roles
- `tlscheck`  `sbc tls-check`: a handshake with explanations in plain words
- `tlswire`   what the handshake said (peer chain, certificate request, alerts)
- `cli`       the `sbc cert ...` and `sbc tls-check` sub-commands
- `testpki`   a throwaway CA and certificates for tests and labs
"""

from .errors import CertError

__all__ = ["CertError"]
