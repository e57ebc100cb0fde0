"""Small helpers shared by every layer of the SBC (no SIP, no I/O policy)."""
