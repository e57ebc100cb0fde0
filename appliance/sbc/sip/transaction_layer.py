"""`TransactionLayer`: matches messages to transactions (RFC 3261 §17.1.3, §17.2.3),
creates server transactions for new requests, absorbs retransmissions, pairs CANCEL with
its INVITE, and multiplexes every transaction's timers into one `next_timer`.

Feed it validated messages (see `sbc.sip.validate`). Requests without an RFC 3261 branch
(no z9hG4bK cookie, or nothing after it) are matched the RFC 2543 way: Request-URI, From
tag, Call-ID, CSeq number, top Via and To tag (for an ACK, the To tag of our response).
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Hashable

from .builders import build_cancel
from .client_transaction import (
    ClientInviteTransaction,
    ClientNonInviteTransaction,
    ClientTransaction,
)
from .endpoint import Endpoint, response_destination, stamp_received
from .errors import SipUsageError
from .fields import Via
from .message import Request, Response
from .server_transaction import (
    ServerInviteTransaction,
    ServerNonInviteTransaction,
    ServerTransaction,
)
from .transaction import EPSILON, Action, Deliver, State, TimerConfig, Transaction


def server_key(request: Request, *, method: str | None = None,
               via: Via | None = None) -> tuple[Hashable, ...]:
    """The key a request matches server transactions by (ACK and CANCEL: pass
    ``method="INVITE"`` to find the INVITE they refer to; `via`: its top Via, when the
    caller has parsed it already)."""
    via = via if via is not None else request.top_via
    kind = method or ("INVITE" if request.method == "ACK" else request.method)
    if via.has_cookie:
        return ("3261", via.branch, via.sent_by().lower(), kind)
    return (
        "2543",
        str(request.uri),
        request.from_addr.tag,
        request.call_id,
        request.cseq.number,
        str(via),
        kind,
        request.to_addr.tag,
    )


class TransactionLayer:
    """All transactions of one SIP endpoint, keyed, with a shared timer queue.

    Drive transactions through these methods (not the transactions' own), so that the
    timer queue sees every change.
    """

    def __init__(self, config: TimerConfig | None = None) -> None:
        self.config = config or TimerConfig()
        self.clients: dict[tuple[str, str], ClientTransaction] = {}
        self.servers: dict[tuple[Hashable, ...], ServerTransaction] = {}
        self._heap: list[tuple[float, int, Transaction]] = []
        self._pushed: dict[Transaction, float] = {}
        self._server_keys: dict[Transaction, tuple[Hashable, ...]] = {}
        self._order = itertools.count()

    # -- the client side ------------------------------------------------------------

    def send_request(
        self, request: Request, dest: Endpoint, now: float
    ) -> tuple[ClientTransaction, list[Action]]:
        """Start a client transaction for ``request`` (which carries its own branch).

        An ACK for a 2xx is no transaction (§17.1.1.3): send it directly.
        """
        if request.method == "ACK":
            raise SipUsageError("an ACK for a 2xx is sent without a transaction")
        via = request.top_via
        if not via.has_cookie:
            raise SipUsageError("client requests need a z9hG4bK branch (ids.new_branch)")
        tx: ClientTransaction
        if request.method == "INVITE":
            tx = ClientInviteTransaction(request, dest, self.config)
        else:
            tx = ClientNonInviteTransaction(request, dest, self.config)
        if tx.key in self.clients:
            raise SipUsageError(f"branch {tx.branch} already in use for {request.method}")
        self.clients[tx.key] = tx
        actions = tx.start(now)
        self._track(tx)
        return tx, actions

    def cancel(
        self, invite: ClientInviteTransaction, now: float
    ) -> tuple[ClientTransaction, list[Action]]:
        """Send CANCEL for an INVITE that got a provisional response (§9.1)."""
        if invite.state is not State.PROCEEDING:
            raise SipUsageError(
                f"CANCEL only once a provisional response came (state {invite.state.value})"
            )
        return self.send_request(build_cancel(invite.request), invite.peer, now)

    # -- the server side ------------------------------------------------------------

    def send_response(
        self, tx: ServerTransaction, response: Response, now: float
    ) -> list[Action]:
        """Answer through a server transaction."""
        actions = tx.send_response(response, now)
        self._track(tx)
        return actions

    # -- input ----------------------------------------------------------------------

    def receive(self, message: Request | Response, source: Endpoint, now: float) -> list[Action]:
        """A message from the network (already parsed and validated)."""
        if isinstance(message, Response):
            return self._receive_response(message, now)
        return self._receive_request(message, source, now)

    def transport_error(self, tx: Transaction, now: float) -> list[Action]:
        """The transport failed to send something of ``tx``."""
        actions = tx.transport_error(now)
        self._track(tx)
        return actions

    def _receive_response(self, response: Response, now: float) -> list[Action]:
        key = (response.top_via.branch or "", response.cseq.method)
        tx = self.clients.get(key)
        if tx is None:
            return [Deliver(response, None)]  # e.g. a 2xx retransmission: the TU acks it
        actions = tx.receive_response(response, now)
        self._track(tx)
        return actions

    def _find_server(self, request: Request, key: tuple[Hashable, ...],
                     via: Via) -> ServerTransaction | None:
        if request.method != "ACK" or via.has_cookie:
            return self.servers.get(key)
        # RFC 2543 ACK: its To tag is the one our final response added.
        tag = request.to_addr.tag
        for candidate in (key, key[:-1] + (None,)):
            tx = self.servers.get(candidate)
            if tx is not None and tx.response_to_tag == tag:
                return tx
        return None

    def _receive_request(self, request: Request, source: Endpoint, now: float) -> list[Action]:
        via = request.top_via  # parsed once here: the key, the lookup, received=, the reply
        key = server_key(request, via=via)
        tx = self._find_server(request, key, via)
        via = stamp_received(request, source, via)
        if tx is not None:
            actions = tx.receive_request(request, now)
            self._track(tx)
            return actions
        if request.method == "ACK":
            return [Deliver(request, None)]  # the ACK for a 2xx belongs to the dialog
        dest = response_destination(request, source, via)
        new: ServerTransaction
        if request.method == "INVITE":
            new = ServerInviteTransaction(request, dest, self.config)
        else:
            new = ServerNonInviteTransaction(request, dest, self.config)
        self.servers[key] = new
        self._server_keys[new] = key
        actions = new.start(now)
        if request.method == "CANCEL":
            invite = self.servers.get(server_key(request, method="INVITE"))
            actions = [
                Deliver(a.message, a.transaction, invite) if isinstance(a, Deliver) else a
                for a in actions
            ]
        self._track(new)
        return actions

    def bound_to(self, flow: Endpoint) -> bool:
        """True while a live transaction sends to, or waits for messages from, ``flow``:
        a draining connection is closed only once this is False."""
        live = itertools.chain(self.clients.values(), self.servers.values())
        return any(tx.peer == flow and not tx.terminated for tx in live)

    # -- timers ---------------------------------------------------------------------

    def next_timer(self) -> float | None:
        """The earliest time any transaction wants `handle_timer`."""
        while self._heap:
            at, _, tx = self._heap[0]
            if not tx.terminated and tx.next_timer() == at:
                return at
            heapq.heappop(self._heap)
            if self._pushed.get(tx) == at:
                del self._pushed[tx]
        return None

    def handle_timer(self, now: float) -> list[Action]:
        """Fire everything due at ``now``, in deadline order."""
        actions: list[Action] = []
        while True:
            at = self.next_timer()
            if at is None or at > now + EPSILON:
                return actions
            _, _, tx = heapq.heappop(self._heap)
            self._pushed.pop(tx, None)
            actions += tx.handle_timer(now)
            self._track(tx)

    def _track(self, tx: Transaction) -> None:
        if tx.terminated:
            self._forget(tx)
            return
        at = tx.next_timer()
        if at is not None and self._pushed.get(tx) != at:
            heapq.heappush(self._heap, (at, next(self._order), tx))
            self._pushed[tx] = at

    def _forget(self, tx: Transaction) -> None:
        self._pushed.pop(tx, None)
        if isinstance(tx, ClientTransaction):
            if self.clients.get(tx.key) is tx:
                del self.clients[tx.key]
            return
        key = self._server_keys.pop(tx, None)
        if key is not None and self.servers.get(key) is tx:
            del self.servers[key]
