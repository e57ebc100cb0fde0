"""OpenSBC: the SBC engine (SIP core, transports, connections, services)."""

PRODUCT = "OpenSBC"
__version__ = "0.1.0"
