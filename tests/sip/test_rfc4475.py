"""The 49 RFC 4475 torture messages, one test each, as tests/data/rfc4475/MANIFEST.tsv says.

Every file runs through what a server does with a datagram: `parse_datagram`, then
`validate_request` / `validate_response`. `OUTCOMES` names what we do with each file; the
test checks that the manifest's row allows it (where the row offers alternatives, the
choice is written next to the file), then checks the outcome itself and, for the valid
messages, that every header comes back exactly.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from sbc.sip import (
    AbsoluteUri,
    Endpoint,
    Request,
    Response,
    ServerPolicy,
    SipPeerError,
    SipUri,
    StreamFramer,
    canonical_name,
    error_response,
    parse_datagram,
    parse_uri,
    uri_equal,
    validate_request,
    validate_response,
)
from sbc.sip.parser import Limits
from sbc.sip.transaction import Deliver, TimerConfig
from sbc.sip.transaction_layer import TransactionLayer

DATA = Path(__file__).resolve().parent.parent / "data" / "rfc4475"
SBC = ServerPolicy()
# For the REGISTER files whose point is parsing, act as a registrar would.
REGISTRAR = ServerPolicy(allowed_methods=SBC.allowed_methods | {"REGISTER"})


@dataclass(frozen=True)
class Outcome:
    kind: str  # "parse" (valid, headers recovered), "accept", "reject" (status) or "drop"
    status: int | None = None
    policy: ServerPolicy = SBC
    for_us: bool = False


PARSE, ACCEPT, DROP = Outcome("parse"), Outcome("accept"), Outcome("drop")


def reject(status: int, policy: ServerPolicy = SBC) -> Outcome:
    return Outcome("reject", status, policy)


OUTCOMES: dict[str, Outcome] = {
    # valid
    "wsinv.dat": PARSE,
    "intmeth.dat": PARSE,  # and, reaching the core, 405 (checked below)
    "esc01.dat": PARSE,
    "escnull.dat": PARSE,
    "esc02.dat": PARSE,
    "lwsdisp.dat": PARSE,
    "longreq.dat": PARSE,
    "dblreq.dat": PARSE,
    "semiuri.dat": PARSE,
    "transports.dat": PARSE,
    "mpart01.dat": PARSE,
    "unreason.dat": PARSE,
    "noreason.dat": PARSE,
    # invalid
    "badinv01.dat": reject(400),  # chosen over "drop": the headers allow an answer
    "clerr.dat": reject(400),  # UDP; the stream case is checked below
    "ncl.dat": reject(400),  # chosen over "drop"
    "scalar02.dat": reject(400),
    "scalarlg.dat": DROP,
    "quotbal.dat": reject(400),
    "ltgtruri.dat": reject(400),
    "lwsruri.dat": reject(400),
    "lwsstart.dat": reject(400),
    "trws.dat": reject(400),  # chosen over "tolerate": the Request-Line grammar is exact
    "escruri.dat": reject(400),
    "baddate.dat": ACCEPT,  # chosen "tolerate": we never interpret Date
    "regbadct.dat": reject(400),
    "badaspec.dat": reject(400),  # chosen over "tolerate": LAQUOT/RAQUOT allow no inner LWS
    "baddn.dat": reject(400),  # chosen over "tolerate"
    "badvers.dat": reject(505),
    "mismatch01.dat": reject(400),
    "mismatch02.dat": reject(400),
    "bigcode.dat": DROP,
    # transaction: "process" with RFC 2543 matching (see check_2543)
    "badbranch.dat": Outcome("accept"),
    # semantic
    "insuf.dat": reject(400),
    "unkscm.dat": reject(416),
    "novelsc.dat": reject(416),  # chosen among route / 416 / 404: we route sip, sips, tel
    "unksm2.dat": Outcome("accept", policy=REGISTRAR),
    "bext01.dat": reject(420),
    "invut.dat": reject(415),
    "regaut01.dat": reject(405),  # chosen among 403/405/501: an SBC is no registrar
    "multi01.dat": reject(400),
    "mcl01.dat": reject(400),
    "bcast.dat": DROP,
    "zeromf.dat": reject(483),
    "cparam01.dat": Outcome("parse", policy=REGISTRAR),
    "cparam02.dat": Outcome("parse", policy=REGISTRAR),
    "regescrt.dat": Outcome("parse", policy=REGISTRAR),
    "sdp01.dat": reject(406),  # chosen over 488: the offer is fine, the Accept is not
    # compat: "process" (RFC 2543 style, see check_2543)
    "inv2543.dat": ACCEPT,
}


def _manifest() -> list[dict[str, str]]:
    with (DATA / "MANIFEST.tsv").open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f, delimiter="\t"))


MANIFEST = _manifest()
WHAT = "what a SIP server facing the internet should do"


def test_manifest_covers_every_file_once() -> None:
    files = sorted(p.name for p in DATA.glob("*.dat"))
    assert len(files) == 49
    assert sorted(row["file"] for row in MANIFEST) == files == sorted(OUTCOMES)


def _allowed_by_manifest(row: dict[str, str], outcome: Outcome) -> bool:
    what = row[WHAT]
    if outcome.kind == "parse":
        return row["class"] in ("valid", "semantic") and what.startswith("parse")
    if outcome.kind == "accept":
        return any(word in what for word in ("accept", "tolerate", "process"))
    if outcome.kind == "drop":
        return "drop" in what
    return str(outcome.status) in re.findall(r"\d{3}", what)


def serve(data: bytes, outcome: Outcome) -> Request | Response:
    """What a UDP server does: parse, then validate."""
    message = parse_datagram(data)
    if isinstance(message, Request):
        validate_request(message, outcome.policy, for_us=outcome.for_us)
    else:
        validate_response(message)
    return message


def recovered_headers(data: bytes) -> list[tuple[str, str]]:
    """Header lines read straight from the bytes: unfold, split at the first colon."""
    head = data.split(b"\r\n\r\n", 1)[0].decode("utf-8", "surrogateescape")
    lines = re.sub(r"\r\n[ \t]+", " ", head).split("\r\n")[1:]
    out = []
    for line in lines:
        name, _, value = line.partition(":")
        out.append((canonical_name(name.strip(" \t")), value.strip(" \t")))
    return out


@pytest.mark.parametrize("row", MANIFEST, ids=[row["file"] for row in MANIFEST])
def test_rfc4475(row: dict[str, str]) -> None:
    name = row["file"]
    outcome = OUTCOMES[name]
    assert _allowed_by_manifest(row, outcome), f"{name}: {outcome} vs {row[WHAT]!r}"
    data = (DATA / name).read_bytes()
    if outcome.kind in ("reject", "drop"):
        with pytest.raises(SipPeerError) as info:
            serve(data, outcome)
        err = info.value
        assert err.status == outcome.status, err.reason
        answer = error_response(err, to_tag="rfc4475")
        if outcome.kind == "drop":
            assert answer is None
        else:
            assert answer is not None and answer.status == outcome.status
            assert parse_datagram(answer.to_bytes()).headers.get("CSeq") == answer.headers.get(
                "CSeq"
            )
    else:
        message = serve(data, outcome) if outcome.kind == "accept" else parse_datagram(data)
        if outcome.kind == "parse":
            assert message.headers.items() == recovered_headers(data)
            again = parse_datagram(message.to_bytes())
            assert again.body == message.body
            assert [v for n, v in again.headers if n != "Content-Length"] == [
                v for n, v in message.headers if n != "Content-Length"
            ]
    extra = EXTRA_CHECKS.get(name)
    if extra is not None:
        extra(data)


# ---- per-file checks: what each message is about ----------------------------------


def _req(data: bytes) -> Request:
    msg = parse_datagram(data)
    assert isinstance(msg, Request)
    return msg


def check_wsinv(data: bytes) -> None:
    msg = _req(data)
    assert msg.headers.get("To") == "sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n"
    assert msg.to_addr.tag == "1918181833n"
    assert msg.from_addr.display_name == 'J Rosenberg \\"' and msg.from_addr.tag == "98asjd8"
    assert msg.max_forwards == 68 and str(msg.cseq) == "9 INVITE"
    assert msg.call_id == "wsinv.ndaksdj@192.0.2.1"
    assert [(v.transport, v.host, v.branch) for v in msg.vias] == [
        ("UDP", "192.0.2.2", "390skdjuw"),
        ("TCP", "spindle.example.com", "z9hG4bK9ikj8"),
        ("UDP", "192.168.255.111", "z9hG4bK30239"),
    ]
    assert msg.headers.get("Subject") == ""
    assert msg.headers.get("NewFangledHeader") == "newfangled value continued newfangled value"
    assert msg.headers.get("UnknownHeaderWithUnusualValue") == ";;,,;;,;"
    route = msg.routes[0].uri
    assert isinstance(route, SipUri) and route.lr
    assert route.params == {"lr": None, "unknownwith": "value", "unknown-no-value": None}
    contact = msg.contacts[0]
    assert contact.display_name == 'Quoted string ""'
    assert contact.params == {"newparam": "newvalue", "secondparam": None, "q": "0.33"}
    assert len(msg.body) == 150 and msg.body.endswith(b"a=rtpmap:31 LPC\r\n")


def check_intmeth(data: bytes) -> None:
    msg = _req(data)
    assert msg.method == "!interesting-Method0123456789_*+`.%indeed'~"
    assert isinstance(msg.uri, SipUri)
    assert msg.uri.user == "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*"
    assert msg.uri.password == "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)"
    assert msg.top_via.branch == "z9hG4bK-.!%66*_+`'~"
    assert msg.to_addr.display_name == "BEL:\x07 NUL:\x00 DEL:\x7f"
    assert msg.from_addr.display_name == "token1~` token2'+_ token3*%!.-"
    assert msg.from_addr.tag == "_token~1'+`*%!-."
    assert msg.from_addr.params["fromparam''~+*_!.-%"] == '"работающий"'
    assert msg.call_id == "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{"
    assert msg.headers.get("extensionHeader-!.%*+_`'~") == "\ufeff\u5927\u505c\u96fb"
    with pytest.raises(SipPeerError) as info:  # unknown method reaching the core
        validate_request(msg)
    assert info.value.status == 405 and info.value.response_headers[0][0] == "Allow"


def check_esc01(data: bytes) -> None:
    msg = _req(data)
    assert isinstance(msg.uri, SipUri) and msg.uri.user == "sips:user@example.com"
    assert uri_equal(msg.to_addr.uri, parse_uri("sip:user@example.com"))
    assert msg.from_addr.uri == parse_uri("sip:I%20have%20spaces@example.net")
    contact = msg.contacts[0].uri
    assert isinstance(contact, SipUri) and contact.user == "caller"
    assert contact.params == {"lr": None, "name": "value%41"}
    validate_request(msg)


def check_escnull(data: bytes) -> None:
    msg = _req(data)
    to = msg.to_addr.uri
    assert isinstance(to, SipUri) and to.user == "null-\x00-null"
    assert [c.uri.user for c in msg.contacts if isinstance(c.uri, SipUri)] == ["\x00", "\x00\x00"]


def check_esc02(data: bytes) -> None:
    msg = _req(data)
    assert msg.method == "RE%47IST%45R" and str(msg.cseq) == "29344 RE%47IST%45R"
    assert msg.to_addr.display_name == "%Z%45"
    assert msg.top_via.branch == "z9hG4bK209%fzsnel234"
    assert len(msg.contacts) == 2  # C%6Fntact is another header, not Contact
    assert msg.headers.get("C%6Fntact") == "<sip:alias2@host2.example.com>"


def check_lwsdisp(data: bytes) -> None:
    assert _req(data).from_addr.display_name == "caller"


def check_longreq(data: bytes) -> None:
    msg = _req(data)
    assert len(msg.vias) == 34 and msg.vias[-1].received == "192.0.2.5"
    assert msg.to_addr.display_name is not None and "extremeextreme" in msg.to_addr.display_name
    assert msg.from_addr.tag is not None and len(msg.from_addr.tag) > 100
    assert len(msg.body) == 150


def check_dblreq(data: bytes) -> None:
    msg = _req(data)
    assert msg.method == "REGISTER" and msg.body == b""


def check_semiuri(data: bytes) -> None:
    msg = _req(data)
    assert isinstance(msg.uri, SipUri)
    assert (msg.uri.user, msg.uri.host) == ("user;par=u@example.net", "example.com")
    assert msg.uri.params == {}
    assert len(msg.headers.values("Accept")) == 6


def check_transports(data: bytes) -> None:
    assert [v.transport for v in _req(data).vias] == ["UDP", "SCTP", "TLS", "UNKNOWN", "TCP"]


def check_mpart01(data: bytes) -> None:
    msg = _req(data)
    start = data.index(b"\r\n\r\n") + 4
    assert msg.body == data[start : start + 553] and len(msg.body) == 553
    assert msg.content_type is not None and msg.content_type.essence == "multipart/mixed"


def check_unreason(data: bytes) -> None:
    msg = parse_datagram(data)
    assert isinstance(msg, Response) and msg.status == 200
    assert msg.reason == data.split(b"\r\n")[0][len(b"SIP/2.0 200 ") :].decode()
    assert msg.to_bytes().split(b"\r\n")[0] == data.split(b"\r\n")[0]


def check_noreason(data: bytes) -> None:
    msg = parse_datagram(data)
    assert isinstance(msg, Response) and (msg.status, msg.reason) == (100, "")


def check_clerr_on_a_stream(data: bytes) -> None:
    framer = StreamFramer()
    assert framer.feed(data) == [] and framer.buffered == len(data)  # waiting for 9999 bytes
    body_so_far = len(data) - data.index(b"\r\n\r\n") - 4
    out = framer.feed(b"x" * (9999 - body_so_far))
    assert len(out) == 1 and isinstance(out[0], Request) and len(out[0].body) == 9999
    small = StreamFramer(Limits(max_message_size=8000))  # a claim beyond the bound
    with pytest.raises(SipPeerError) as info:
        small.feed(data)
    assert info.value.status == 513


def check_bext01(data: bytes) -> None:
    with pytest.raises(SipPeerError) as info:
        validate_request(_req(data))
    assert dict(info.value.response_headers)["Unsupported"] == (
        "nothingSupportsThis, nothingSupportsThisEither, noProxiesSupportThis, "
        "norDoAnyProxiesSupportThis"
    )


def check_invut(data: bytes) -> None:
    with pytest.raises(SipPeerError) as info:
        validate_request(_req(data))
    assert dict(info.value.response_headers)["Accept"] == "application/sdp"


def check_unksm2(data: bytes) -> None:
    msg = _req(data)
    assert isinstance(msg.to_addr.uri, AbsoluteUri) and msg.to_addr.uri.scheme == "isbn"
    assert str(msg.from_addr.uri) == "http://www.example.com"
    assert str(msg.contacts[0].uri) == "name:John_Smith"


def check_zeromf(data: bytes) -> None:
    validate_request(_req(data), for_us=True)  # an OPTIONS to us is answered


def check_cparam01(data: bytes) -> None:
    contact = _req(data).contacts[0]
    assert isinstance(contact.uri, SipUri) and contact.uri.params == {}
    assert contact.params == {"unknownparam": None}
    validate_request(_req(data), REGISTRAR)


def check_cparam02(data: bytes) -> None:
    contact = _req(data).contacts[0]
    assert isinstance(contact.uri, SipUri) and contact.uri.params == {"unknownparam": None}
    assert contact.params == {}
    validate_request(_req(data), REGISTRAR)


def check_regescrt(data: bytes) -> None:
    contact = _req(data).contacts[0]
    assert isinstance(contact.uri, SipUri)
    assert contact.uri.headers == {"Route": "<sip:sip.example.com>"}
    validate_request(_req(data), REGISTRAR)


def check_bcast(data: bytes) -> None:
    msg = parse_datagram(data)
    assert isinstance(msg, Response)
    with pytest.raises(SipPeerError, match="broadcast"):
        validate_response(msg, uac=False)  # even where several Vias are fine


def check_2543(data: bytes) -> None:
    """Processed with RFC 2543 matching: one transaction, its retransmission absorbed
    (test_transaction_layer.py follows these two files through ACK and final response)."""
    msg = _req(data)
    assert not msg.top_via.has_cookie
    layer = TransactionLayer(TimerConfig(trying_delay=None))
    source = Endpoint("192.0.2.1", 5060)
    [deliver] = layer.receive(msg, source, 0.0)
    assert isinstance(deliver, Deliver) and deliver.message is msg
    assert layer.receive(_req(data), source, 0.5) == []
    assert len(layer.servers) == 1


EXTRA_CHECKS: dict[str, Callable[[bytes], None]] = {
    "wsinv.dat": check_wsinv,
    "intmeth.dat": check_intmeth,
    "esc01.dat": check_esc01,
    "escnull.dat": check_escnull,
    "esc02.dat": check_esc02,
    "lwsdisp.dat": check_lwsdisp,
    "longreq.dat": check_longreq,
    "dblreq.dat": check_dblreq,
    "semiuri.dat": check_semiuri,
    "transports.dat": check_transports,
    "mpart01.dat": check_mpart01,
    "unreason.dat": check_unreason,
    "noreason.dat": check_noreason,
    "clerr.dat": check_clerr_on_a_stream,
    "bext01.dat": check_bext01,
    "invut.dat": check_invut,
    "unksm2.dat": check_unksm2,
    "zeromf.dat": check_zeromf,
    "cparam01.dat": check_cparam01,
    "cparam02.dat": check_cparam02,
    "regescrt.dat": check_regescrt,
    "bcast.dat": check_bcast,
    "badbranch.dat": check_2543,
    "inv2543.dat": check_2543,
}
