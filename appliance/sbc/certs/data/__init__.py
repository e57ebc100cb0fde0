"""Package data: the root certificates Microsoft's SIP proxies chain to (see README.md).

A package (not a plain folder) so that the wheel's `*.pem` package-data rule ships them.
"""
