"""The first-boot dialogue: password, interface, addresses, apply with rollback, summary.

Each step asks, validates (firstboot.validate) and only then acts. The network is
changed in one place (`_apply`), after a snapshot: whatever goes wrong there,
including Ctrl-C, puts the previous settings back before the wizard stops.
"""

from __future__ import annotations

import ipaddress
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from . import identity as ident
from . import interfaces, password, validate, webcert
from .console import MAX_TRIES, Aborted, Console
from .files import remove_file, replace_file
from .model import Identity, NetInterface, NetworkPlan, StaticIPv4
from .network import NetworkChange, Snapshot
from .nm import NetworkManager
from .run import CommandError
from .sbcstart import SbcStart, start_sbc
from .settings import Settings
from .validate import Invalid

MAX_ROUNDS = 10  # network attempts before the wizard gives up (each one rolled back)
STEPS = 5


@dataclass(frozen=True)
class Outcome:
    plan: NetworkPlan
    address: ipaddress.IPv4Interface | None
    password_changed: bool


@contextmanager
def _no_interrupt() -> Iterator[None]:
    """Ctrl-C waits while the previous settings are being put back."""
    old = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old)


class Wizard:
    def __init__(self, console: Console, settings: Settings,
                 now: Callable[[], float] = time.time) -> None:
        self.io = console
        self.settings = settings
        self.paths = settings.paths
        self.nm = NetworkManager(settings.commands.nmcli)
        self.change = NetworkChange(self.nm, self.paths.nm_connections,
                                    settings.commands.ping, settings.ping_wait)
        self._now = now

    def step(self, number: int, title: str) -> None:
        self.io.heading(f"Step {number} of {STEPS}: {title}")

    # --- the whole dialogue -------------------------------------------------------
    def run(self) -> Outcome:
        self.io.say("OpenSBC first-boot setup. Ctrl-C stops it at any point; the network")
        self.io.say("then stays as it was. Run `firstboot` to start it again.")
        changed = self.password_step()
        nic = self.interface_step()
        for _ in range(MAX_ROUNDS):
            plan = self.settings_step(nic)
            if self.apply_step(nic, plan):
                break
            nic = self._refresh(nic)
        else:
            raise Aborted(f"the network was not accepted after {MAX_ROUNDS} attempts")
        return self.finish(plan, changed)

    # --- step 1 -------------------------------------------------------------------
    def password_step(self) -> bool:
        self.step(1, "root password")
        if password.root_password_is_default(self.paths):
            self.io.wrapped("root still has the default password. Choose a new one: SSH "
                            "and the web console refuse the default password.")
        elif not self.io.yes_no("root's password was changed already. Change it again?",
                                False):
            return False
        new = self._ask_password()
        password.set_root_password(self.paths, new, self._now())
        self.io.say("Password changed.")
        if password.allow_root_in_cockpit(self.paths):
            self.io.say("root may now log in to the web console.")
        return True

    def _ask_password(self) -> str:
        for _ in range(10):
            first = self.io.secret("New root password: ")
            problem = password.password_problem(first)
            if problem:
                self.io.wrapped(f"Not accepted: {problem}", "  ")
                continue
            if self.io.secret("Repeat the new password: ") != first:
                self.io.say("  Not accepted: the two entries differ; start again.")
                continue
            return first
        raise Aborted("no acceptable password after 10 tries")

    # --- step 2 -------------------------------------------------------------------
    def interface_step(self) -> NetInterface:
        self.step(2, "network interfaces")
        nics = interfaces.list_interfaces(self.nm)
        if not nics:
            raise Aborted("no Ethernet interface found; check the VM's network adapter")
        for number, nic in enumerate(nics, 1):
            self.io.say(f"  {number}) {_describe(nic)}")
        if len(nics) == 1:
            self.io.say(f"Using {nics[0].name}.")
            return nics[0]

        def choose(text: str) -> NetInterface:
            for number, nic in enumerate(nics, 1):
                if text.strip() in (str(number), nic.name):
                    return nic
            raise Invalid(f"answer 1 to {len(nics)} or an interface name")

        return self.io.ask("Interface to configure", choose, "1")

    def _refresh(self, nic: NetInterface) -> NetInterface:
        found = [n for n in interfaces.list_interfaces(self.nm) if n.name == nic.name]
        return found[0] if found else nic

    # --- step 3 -------------------------------------------------------------------
    def settings_step(self, nic: NetInterface) -> NetworkPlan:
        self.step(3, f"settings for {nic.name}")
        for _ in range(MAX_ROUNDS):
            dhcp = self.io.yes_no(f"Use DHCP on {nic.name}? (n: fixed address)",
                                  nic.method in ("dhcp", "unknown"))
            static = None if dhcp else self._ask_static(nic)
            name = self.io.ask("Fully qualified host name (e.g. sbc1.example.com)",
                               validate.parse_fqdn, self._current_fqdn())
            plan = NetworkPlan(nic.name, static, Identity(name))
            self._show_plan(plan)
            if self.io.yes_no("Apply these settings?", True):
                return plan
        raise Aborted("no settings confirmed")

    def _ask_static(self, nic: NetInterface) -> StaticIPv4:
        current = nic.addresses[0] if nic.addresses else None
        iface = self._ask_interface(current)
        gateway = interfaces.default_gateway()
        gateway_default = str(gateway) if gateway and gateway in iface.network else None
        gw = self.io.ask("Gateway", lambda text: validate.parse_gateway(text, iface),
                         gateway_default)
        servers = interfaces.read_nameservers(self.paths.resolv_conf)
        dns = self.io.ask("DNS servers, up to 3 separated by spaces", validate.parse_dns,
                          " ".join(map(str, servers)) or None)
        return StaticIPv4(iface, gw, dns)

    def _ask_interface(self, current: ipaddress.IPv4Interface | None) -> ipaddress.IPv4Interface:
        """Address and prefix; a bare address gets a second question for the prefix."""
        for _ in range(MAX_TRIES):
            address, prefix = self.io.ask("IPv4 address/prefix (e.g. 192.0.2.10/24)",
                                          _address_answer,
                                          current.with_prefixlen if current else None)
            if prefix is None:
                prefix = self.io.ask("Prefix length or netmask (e.g. 24 or 255.255.255.0)",
                                     _prefix_answer)
            try:
                return validate.parse_interface(address, prefix)
            except Invalid as refusal:
                self.io.wrapped(f"Not accepted: {refusal}", "  ")
        raise Aborted("no acceptable address")

    def _show_plan(self, plan: NetworkPlan) -> None:
        self.io.say()
        if plan.static is None:
            self.io.say(f"  {plan.interface}: DHCP")
        else:
            s = plan.static
            self.io.say(f"  {plan.interface}: {s.interface.with_prefixlen}, "
                        f"gateway {s.gateway}")
            self.io.say(f"  DNS: {' '.join(map(str, s.dns))}")
        self.io.say(f"  host name: {plan.identity.fqdn}")

    def _current_fqdn(self) -> str | None:
        """The FQDN to offer: the one /etc/hosts gives this host (none at first boot,
        when the machine is plain "opensbc")."""
        try:
            hosts = self.paths.hosts.read_text()
            hostname = self.paths.hostname.read_text().strip()
        except OSError:
            return None
        return ident.current_fqdn(hosts, hostname)

    # --- step 4 -------------------------------------------------------------------
    def apply_step(self, nic: NetInterface, plan: NetworkPlan) -> bool:
        """True when the new settings stay; False after going back to the old ones."""
        self.step(4, "apply")
        if plan.static is None and nic.method == "dhcp":
            self.io.say(f"{nic.name} keeps its DHCP connection; nothing to change.")
            return True
        snap = self.change.snapshot(nic.name)
        try:
            path = self.change.apply(plan)
            self.io.say(f"Wrote {path} and activated it.")
            if plan.static is None or self._gateway_ok(plan.static, nic.name):
                return True
            if self._keep_anyway():
                return True
        except CommandError as exc:
            self.io.say(str(exc))
        except BaseException:  # Ctrl-C, EOF or a bug: never leave the new settings half-set
            self._restore(snap)
            raise
        self._restore(snap)
        return False

    def _keep_anyway(self) -> bool:
        timeout = self.settings.rollback_timeout
        self.io.wrapped(f"Without an answer the previous settings come back in "
                        f"{timeout:g} s.")
        back = self.io.timed_yes_no("Go back to the previous network settings?", True,
                                    timeout)
        if back is False:
            self.io.say("Keeping the new settings.")
            return True
        return False

    def _gateway_ok(self, static: StaticIPv4, interface: str) -> bool:
        self.io.say(f"Checking that the gateway {static.gateway} answers ...")
        if self.change.gateway_answers(static.gateway, interface):
            self.io.say("The gateway answers.")
            return True
        self.io.say(f"The gateway {static.gateway} does not answer.")
        return False

    def _restore(self, snap: Snapshot) -> None:
        with _no_interrupt():
            self.io.say("Going back to the previous network settings ...")
            problems = self.change.restore(snap)
        for problem in problems:
            self.io.say(f"  {problem}")
        self.io.say("Previous network settings restored." if not problems else
                    "Going back met problems (above); check with `nmcli connection`.")

    # --- step 5 -------------------------------------------------------------------
    def finish(self, plan: NetworkPlan, password_changed: bool) -> Outcome:
        self.step(5, "summary")
        address = plan.static.interface if plan.static else _first(
            interfaces.ipv4_addresses(plan.interface))
        ident.set_identity(plan.identity, plan.static.address if plan.static else None,
                           self.paths, self.settings.commands)
        problem = webcert.install_certificate(
            plan.identity, [address.ip] if address else [], self.paths,
            self.settings.commands)
        self.mark_done(plan)
        sbc = start_sbc(self.settings, plan.identity.fqdn, address.ip if address else None)
        self._show_plan(plan)
        self.io.say(f"  root password: {'changed' if password_changed else 'unchanged'}")
        if problem:
            self.io.say(f"  web console certificate: {problem}")
        self._show_sbc(sbc)
        self.io.say()
        if address:
            self.io.say(f"Web console: https://{address.ip}:9090")
        else:
            self.io.say(f"{plan.interface} has no IPv4 address yet; the web console will be "
                        f"at https://<address>:9090")
        self.io.say("Log in there as root with the new password and open the SBC page;")
        self.io.say("on this console, `sbc doctor` lists what to do next.")
        return Outcome(plan, address, password_changed)

    def _show_sbc(self, sbc: SbcStart) -> None:
        config = self.paths.sbc_config
        written = f"{config} written from these answers" if sbc.seeded else f"{config} kept"
        if sbc.running:
            self.io.say(f"  SBC: running; {written}. Teams waits for a certificate.")
        else:
            self.io.wrapped(f"  SBC: not started: {sbc.problem}", "  ")

    def mark_done(self, plan: NetworkPlan) -> None:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self._now()))
        self.paths.etc_opensbc.mkdir(parents=True, exist_ok=True)
        replace_file(self.paths.done, f"{stamp} {plan.identity.fqdn}\n".encode(), 0o644)
        remove_file(self.paths.pending)


def _describe(nic: NetInterface) -> str:
    addrs = " ".join(a.with_prefixlen for a in nic.addresses) or "no IPv4 address"
    return f"{nic.name:<8} {nic.mac}  link {nic.link:<7} {addrs}  ({nic.method_label})"


def _address_answer(text: str) -> tuple[str, str | None]:
    address, prefix = validate.split_address(text)
    validate.parse_ipv4(address)
    if prefix is not None:
        validate.parse_interface(address, prefix)
    return address, prefix


def _prefix_answer(text: str) -> str:
    validate.parse_prefix(text)
    return text


def _first(items: tuple[ipaddress.IPv4Interface, ...]) -> ipaddress.IPv4Interface | None:
    return items[0] if items else None
