"""ACME (RFC 8555) issuance and renewal of the SBC's certificate: `sbc cert acme`.

Certificate lifetimes shrink to 200 days in 2026, 100 in 2027 and 47 in 2029, so the
CSR round trip by hand will not keep up. The protocol is certbot's `acme` library; this
package only decides when to renew, answers the challenge only while it is pending
(HTTP-01 with port 80 open in nftables for that long, or DNS-01 TXT records by RFC 2136
update), and sends the new pair through the same checks as `sbc cert import` before it
replaces the old one:

    store.py      /data/acme: account key, account URL, state (last result, backoff),
                  certificates kept aside with the reason they were refused
    challenge.py  the tiny HTTP server for /.well-known/acme-challenge/
    firewall.py   the nftables table that opens the HTTP-01 port while it runs
    dns01.py      TXT records added and removed by RFC 2136 update with TSIG (dnspython)
    answer.py     HTTP-01 and DNS-01 behind one interface, in place only inside `with`
    order.py      one order with the acme library: account, new key, CSR, challenge, PEM
    renew.py      when to renew, backoff, install through the import checks, reload, alerts
    cli.py        `sbc cert acme issue|renew|status`
"""
