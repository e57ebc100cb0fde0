"""The sans-IO SIP core: bytes in, messages and actions out; no sockets, no clock.

How the layer above uses it (everything named here is importable from `sbc.sip`):

Parsing and serializing
    ``parse_datagram(data)`` -> `Request` | `Response` for UDP; ``StreamFramer().feed(data)``
    -> messages, `KeepAlivePing` (write ``ping.reply``) and `BadMessage` for TCP/TLS.
    ``message.to_bytes()`` serializes (canonical names, Content-Length recomputed).
    ``parse_multipart(body, message.content_type)`` splits a multipart/mixed body
    (SDP plus a location, RFC 6442) into `BodyPart`s; ``Multipart.to_bytes()`` joins them.
    Bad input raises `SipPeerError` (``.status`` to answer or None to drop); our own
    misuse raises `SipUsageError`. Nothing else escapes.

Checking and answering
    ``validate_request(req, ServerPolicy(...), for_us=...)`` and ``validate_response(resp)``
    raise `SipPeerError`; ``error_response(err, to_tag=...)`` is the answer to send (or
    None). ``build_response(req, 200, to_tag=..., headers=[...])`` answers a good request.

Authenticating (REGISTER, or any request answered 401/407)
    ``DigestClient(user, password, rand).answer(resp_401, method, str(uri))`` -> the
    Authorization / Proxy-Authorization headers for the retry (MD5, SHA-256, qop=auth).

Transactions (RFC 3261 §17, RFC 6026), all timers on the caller's clock
    ``layer = TransactionLayer(TimerConfig(t1=0.5, t2=4, t4=5))``;
    ``tx, actions = layer.send_request(req, Endpoint(host, port, "tls"), now)``;
    ``actions = layer.receive(message, source_endpoint, now)`` for everything that came in
    (validated first); ``layer.send_response(server_tx, resp, now)``;
    ``layer.cancel(invite_tx, now)``. Sleep until ``layer.next_timer()``, then call
    ``layer.handle_timer(now)``. Actions: `Send` (write it), `Deliver` (a response for
    a client transaction, a new request with its server transaction, or a stray with
    ``transaction=None``), `Timeout` (treat as 408), `TransportError`, `Terminated`.
    Transport failures go back in with ``layer.transport_error(tx, now)``.

Dialogs (RFC 3261 §12), one per call leg; a B2BUA holds two
    ``Dialog.from_uac(invite, resp)`` / ``Dialog.from_uas(invite, our_resp)``, keyed by
    ``DialogId`` (``DialogId.of_request(req)`` / ``.of_response(resp)`` find them);
    ``dialog.create_request("BYE", via)``, ``dialog.create_ack(invite, via)``,
    ``dialog.receive_request(req)`` / ``receive_response(req, resp)``; ``PendingAck``
    resends our 2xx to an INVITE until the ACK (``AckTimeout``: send BYE).

Building requests
    ``build_request(method, uri, from_addr=..., to_addr=..., call_id=..., cseq=...,
    via=Via("TLS", host, port, {"branch": new_branch(rand)}), contact=...)``.
    ``new_branch(rand)``, ``new_tag(rand)``, ``new_call_id(rand, host)`` take the random
    source (``os.urandom`` in production), so the core holds no random state.

Choices where the RFCs leave room (details in the modules named)
    A missing Max-Forwards is tolerated (`validate`). Requests without a z9hG4bK branch
    are matched the RFC 2543 way, not refused (`transaction_layer`). The INVITE server
    transaction sends 100 Trying itself 200 ms after the INVITE unless the TU answered
    (`TimerConfig.trying_delay`). INVITE transactions have RFC 6026's Accepted state.
    A UAC drops responses with more than one Via or a broadcast/multicast Via.
"""

from __future__ import annotations

from .address import Address, parse_address, parse_address_list
from .builders import build_ack, build_cancel, build_request, build_response
from .client_transaction import (
    ClientInviteTransaction,
    ClientNonInviteTransaction,
    ClientTransaction,
)
from .dialog import AckTimeout, Dialog, DialogId, DialogState, PendingAck
from .digest import Challenge, DigestClient, challenges_of, choose, parse_challenges
from .endpoint import Endpoint, response_destination, stamp_received
from .errors import SipPeerError, SipUsageError
from .fields import MAGIC_COOKIE, CSeq, MediaType, Via, parse_cseq, parse_via
from .framing import BadMessage, KeepAlivePing, StreamFramer
from .headers import Headers, canonical_name
from .ids import RandomBytes, new_branch, new_call_id, new_tag
from .message import Message, Request, Response
from .multipart import MULTIPART_MIXED, BodyPart, Multipart, parse_multipart
from .parser import DEFAULT_LIMITS, Limits, parse_datagram
from .reasons import reason_phrase
from .server_transaction import (
    ServerInviteTransaction,
    ServerNonInviteTransaction,
    ServerTransaction,
)
from .transaction import (
    Action,
    Deliver,
    Send,
    State,
    Terminated,
    Timeout,
    TimerConfig,
    Transaction,
    TransportError,
)
from .transaction_layer import TransactionLayer
from .uri import AbsoluteUri, SipUri, TelUri, Uri, parse_uri, uri_equal
from .validate import (
    DEFAULT_POLICY,
    ServerPolicy,
    error_response,
    validate_request,
    validate_response,
)

__all__ = [
    "AckTimeout",
    "Dialog",
    "DialogId",
    "DialogState",
    "PendingAck",
    "Action",
    "ClientInviteTransaction",
    "ClientNonInviteTransaction",
    "ClientTransaction",
    "Deliver",
    "Send",
    "ServerInviteTransaction",
    "ServerNonInviteTransaction",
    "ServerTransaction",
    "State",
    "Terminated",
    "Timeout",
    "TimerConfig",
    "Transaction",
    "TransactionLayer",
    "TransportError",
    "DEFAULT_LIMITS",
    "DEFAULT_POLICY",
    "MAGIC_COOKIE",
    "MULTIPART_MIXED",
    "AbsoluteUri",
    "Address",
    "BadMessage",
    "BodyPart",
    "CSeq",
    "Challenge",
    "DigestClient",
    "Endpoint",
    "Headers",
    "KeepAlivePing",
    "Limits",
    "MediaType",
    "Message",
    "Multipart",
    "RandomBytes",
    "Request",
    "Response",
    "ServerPolicy",
    "SipPeerError",
    "SipUri",
    "SipUsageError",
    "StreamFramer",
    "TelUri",
    "Uri",
    "Via",
    "build_ack",
    "build_cancel",
    "build_request",
    "build_response",
    "canonical_name",
    "challenges_of",
    "choose",
    "error_response",
    "new_branch",
    "new_call_id",
    "new_tag",
    "parse_address",
    "parse_address_list",
    "parse_challenges",
    "parse_cseq",
    "parse_datagram",
    "parse_multipart",
    "parse_uri",
    "parse_via",
    "reason_phrase",
    "response_destination",
    "stamp_received",
    "uri_equal",
    "validate_request",
    "validate_response",
]
