"""The OpenSBC first-boot wizard (console) and the web console's helpers.

`firstboot.main` is the `firstboot` command; `firstboot.pamguard` refuses the default
password to SSH and Cockpit; `firstboot.sbcstart` seeds /data/sbc.yaml from the answers
and starts the SBC.
"""
