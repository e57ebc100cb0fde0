"""Tests of the sans-IO SIP core (`sbc.sip`)."""
