"""`TransactionLayer.bound_to`: which flows a draining TLS connection must wait for."""

from __future__ import annotations

from sbc.sip import Endpoint, Request, build_response, parse_datagram
from sbc.sip.server_transaction import ServerTransaction
from sbc.sip.transaction import Deliver
from sbc.sip.transaction_layer import TransactionLayer

from .helpers import OPTIONS, TCP, request

OTHER = Endpoint("192.0.2.21", 5060, "tcp")


def test_client_transaction_binds_its_flow_until_answered() -> None:
    layer = TransactionLayer()
    tx, _ = layer.send_request(request("OPTIONS", "z9hG4bKb1"), TCP, 0.0)
    assert layer.bound_to(TCP) and not layer.bound_to(OTHER)
    ok = parse_datagram(build_response(tx.request, 200, to_tag="x").to_bytes())
    layer.receive(ok, TCP, 0.1)  # reliable: Timer K is 0, the transaction ends
    assert not layer.bound_to(TCP)


def test_server_transaction_binds_the_flow_it_came_over() -> None:
    layer = TransactionLayer()
    options = parse_datagram(OPTIONS)
    assert isinstance(options, Request)
    actions = layer.receive(options, TCP, 0.0)
    assert layer.bound_to(TCP) and not layer.bound_to(OTHER)
    deliver = actions[0]
    assert isinstance(deliver, Deliver) and isinstance(deliver.transaction, ServerTransaction)
    layer.send_response(deliver.transaction, build_response(options, 200, to_tag="t"), 0.1)
    assert not layer.bound_to(TCP)
