"""The `sbc` command line.

    sbc run --config /data/sbc.yaml      run in the foreground (systemd: opensbc.service)
    sbc check --config F                 validate a config file
    sbc config show|set|add|remove|apply the settings, by name, validated and applied
    sbc config profiles                  the provider profiles and the fields each takes
    sbc doctor [--json]                  what is ready and what to do next
    sbc teams-setup                      the Teams PowerShell for this box
    sbc status [--json]                  what the running SBC reports
    sbc trace start|stop|status          decrypted SIP trace (pcap)
    sbc trace files|bundle --out F       its files (rotated too); all merged into one pcap
    sbc routes list|add|set|move|remove|test   the routing rules; test a number
    sbc backup create|restore            /data's configuration, certificate and key as one file
    sbc cert csr|import|show|add-ca|bundle, sbc tls-check HOST[:PORT]
    sbc lab-pki DIR                      a throwaway CA and certificates for the lab
    sbc --version

Exit status: 0 ok, 1 failed (the reason is printed), 2 usage, 3 `status`/`trace`: the
SBC is not running.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
from pathlib import Path

from . import PRODUCT, __version__, routing_cli
from .app.loop import CHOICES as LOOP_CHOICES
from .backup import cli as backup_cli
from .certs import CertError
from .certs import cli as certs_cli
from .config import ConfigError, ConfigHolder, check_main
from .config import cli as config_cli
from .config.save import remove_stale_temps
from .doctor import cli as doctor_cli
from .status import TRACE_FILE, find_status, format_status, public_json, run_dir
from .status.schema import problems as status_problems
from .trace import TraceRequest, TraceRequestError, read_request, write_request
from .trace.control import DEFAULT_FILES, DEFAULT_MAX_BYTES, DEFAULT_PATH, TraceSettings

DEFAULT_CONFIG = "/data/sbc.yaml"
NOT_RUNNING = 3


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sbc", description=f"{PRODUCT}: SIP trunk <-> Microsoft Teams Direct Routing SBC"
    )
    parser.add_argument("--version", action="version", version=f"{PRODUCT} {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    rundir = argparse.ArgumentParser(add_help=False)
    rundir.add_argument("--run-dir", type=Path,
                        help="status and trace control files (default /run/opensbc)")

    p = sub.add_parser("run", parents=[rundir], help="run the SBC in the foreground")
    p.add_argument("--config", default=DEFAULT_CONFIG, help="config file (%(default)s)")
    p.add_argument("--profiles-dir", type=Path, help="extra connection profiles")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="print events and log lines on stderr")
    # For labs and tests: OPTIONS more often than sbc.yaml allows (10 s minimum there).
    p.add_argument("--options-interval", type=float, help=argparse.SUPPRESS)
    p.add_argument("--status-interval", type=float, default=2.0, help=argparse.SUPPRESS)
    p.add_argument("--event-loop", choices=LOOP_CHOICES, default="auto",
                   help="uvloop when installed (auto, the default) or asyncio's own loop")
    p.set_defaults(func=cmd_run)

    sub.add_parser("check", help="validate a config file (sbc check --help)", add_help=False)

    p = sub.add_parser("status", parents=[rundir], help="show the running SBC's status")
    p.add_argument("--json", action="store_true", help="the status document as JSON")
    p.add_argument("--status-file", type=Path, help="read this file instead")
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("trace", help="decrypted SIP trace into a pcap file")
    trace = p.add_subparsers(dest="trace_command", metavar="ACTION", required=True)
    t = trace.add_parser("start", parents=[rundir], help="start (or restart) the trace")
    t.add_argument("--path", type=Path, help="pcap file (default: the config's trace.path)")
    t.add_argument("--include-options", action="store_true", help="also trace OPTIONS")
    t.add_argument("--max-bytes", type=int, default=DEFAULT_MAX_BYTES)
    t.add_argument("--files", type=int, default=DEFAULT_FILES)
    t.set_defaults(func=cmd_trace_start)
    t = trace.add_parser("stop", parents=[rundir], help="stop the trace")
    t.set_defaults(func=cmd_trace_stop)
    t = trace.add_parser("status", parents=[rundir], help="is a trace running")
    t.set_defaults(func=cmd_trace_status)
    t = trace.add_parser("files", parents=[rundir],
                         help="the trace's files, oldest first (the rotated ones too)")
    t.add_argument("--path", type=Path, help="the trace file (default: the SBC's trace.path)")
    t.add_argument("--json", action="store_true", help="as JSON")
    t.set_defaults(func=cmd_trace_files)
    t = trace.add_parser("bundle", parents=[rundir],
                         help="all the trace's files merged into one pcap, in time order")
    t.add_argument("--path", type=Path, help="the trace file (default: the SBC's trace.path)")
    t.add_argument("--out", required=True, help="the merged pcap file, - for stdout")
    t.set_defaults(func=cmd_trace_bundle)

    certs_cli.add_parser(sub)
    config_cli.add_parser(sub)
    doctor_cli.add_parser(sub)
    backup_cli.add_parser(sub)
    routing_cli.add_parser(sub)

    p = sub.add_parser("lab-pki", help="write a throwaway CA and lab certificates")
    p.add_argument("directory", type=Path)
    p.add_argument("--fqdn", default="sbc.lab.test", help="the SBC's name (%(default)s)")
    p.add_argument("--peer", action="append", default=[],
                   help="a peer certificate name (default: the three Teams proxies)")
    p.set_defaults(func=cmd_lab_pki)
    return parser


def main(argv: list[str] | None = None) -> int:
    args_list = sys.argv[1:] if argv is None else list(argv)
    if args_list[:1] == ["check"]:
        return check_main(args_list[1:])
    parser = build_parser()
    args = parser.parse_args(args_list)
    if getattr(args, "func", None) is None:
        parser.print_help(sys.stderr)
        return 2
    return int(args.func(args))


# -- run ------------------------------------------------------------------------------


def _configure_logging(verbose: bool) -> None:
    sbc_logger = logging.getLogger("sbc")
    sbc_logger.setLevel(logging.INFO)
    if verbose:
        return  # the console sink of the event log prints everything, once
    if os.environ.get("JOURNAL_STREAM"):
        return  # stderr is the journal, which gets /dev/log already
    handler = logging.StreamHandler()
    handler.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logging.getLogger().addHandler(handler)


class _EarlySignals:
    """Signal handling from the first line of `sbc run` until the event loop takes over.

    By default SIGHUP and SIGUSR2 end a process, and systemd counts an end by SIGHUP as a
    clean exit that `Restart=on-failure` does not restart: a `systemctl reload` in the
    first seconds (while rtpengine is still being reached) used to stop the SBC for good.
    A SIGHUP before the config is read changes nothing; one after is queued.
    """

    def __init__(self) -> None:
        self.hangup = False
        signal.signal(signal.SIGHUP, self._on_hangup)
        signal.signal(signal.SIGUSR2, signal.SIG_IGN)  # the trace file is polled anyway

    def _on_hangup(self, signum: int, frame: object) -> None:
        self.hangup = True


def cmd_run(args: argparse.Namespace) -> int:
    from .app import RunOptions
    from .app.loop import LoopError, choose_loop

    early = _EarlySignals()  # first of all, see _EarlySignals
    _configure_logging(args.verbose)
    early.hangup = False  # the file read now is what a reload until here would read
    try:
        # Certificate files may come later: the TLS side waits for them (app.readiness).
        holder = ConfigHolder(args.config, profiles_dir=args.profiles_dir, require_files=False)
    except ConfigError as exc:
        for issue in exc.errors:
            print(issue, file=sys.stderr)
        print(f"sbc run: {args.config}: {len(exc.errors)} error(s); not started",
              file=sys.stderr)
        return 1
    try:
        loop = choose_loop(args.event_loop)
    except LoopError as exc:
        print(f"sbc run: {exc}", file=sys.stderr)
        return 1
    options = RunOptions(
        event_loop=loop.name,
        run_dir=run_dir(args.run_dir),
        options_interval=args.options_interval,
        status_interval=args.status_interval,
        console=args.verbose,
    )
    remove_stale_temps(Path(args.config))
    with asyncio.Runner(loop_factory=loop.factory) as runner:
        return runner.run(_serve(holder, options, early))


_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGUSR2)


async def _serve(holder: ConfigHolder, options: object, early: _EarlySignals) -> int:
    from .app import RunOptions, SbcApp
    from .app.collector import full_collections, settle_start_up
    from .trace import apply_control_file

    assert isinstance(options, RunOptions)
    app = SbcApp(holder, options)
    loop = asyncio.get_running_loop()
    # Before start: a reload asked for meanwhile runs once start-up is done.
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, app.request_stop)
    loop.add_signal_handler(signal.SIGHUP, app.request_reload)

    def trace_request() -> None:  # before start, the file is read by start itself
        if app.ready:
            apply_control_file(app.trace, app.trace_control_path)

    loop.add_signal_handler(signal.SIGUSR2, trace_request)
    if early.hangup:
        app.request_reload()
    try:
        try:
            await app.start()
        except (CertError, OSError) as exc:
            print(f"sbc run: {exc}", file=sys.stderr)
            return 1
        settle_start_up()  # the collector's full passes on a timer (app.collector)
        collector = asyncio.create_task(full_collections())
        await app.stopped.wait()
        collector.cancel()
    finally:
        for sig in _SIGNALS:
            loop.remove_signal_handler(sig)
        signal.signal(signal.SIGHUP, signal.SIG_IGN)  # stopping: a reload no longer matters
        await app.stop()
    return 0


# -- status ---------------------------------------------------------------------------


def cmd_status(args: argparse.Namespace) -> int:
    found = find_status(args.run_dir, args.status_file)
    if not found.running:
        print(f"sbc status: {found.problem}", file=sys.stderr)
        return NOT_RUNNING
    assert found.doc is not None
    wrong = status_problems(found.doc)
    if wrong:  # an SBC of another version wrote it: show what can be shown, say so
        print(f"sbc status: {found.path} does not fit this version's status schema "
              f"({'; '.join(wrong[:3])}); restart the SBC if it was just upgraded",
              file=sys.stderr)
    if args.json:
        print(json.dumps(public_json(found.doc), indent=2))
    else:
        print(format_status(found.doc))
    return 0


# -- trace ----------------------------------------------------------------------------


def _control_file(args: argparse.Namespace) -> Path:
    found = find_status(args.run_dir)
    if found.doc is not None:
        return found.path.parent / TRACE_FILE
    return run_dir(args.run_dir) / TRACE_FILE


def _signal_sbc(args: argparse.Namespace) -> bool:
    """Ask the running SBC to read the control file now (it also polls once a second)."""
    found = find_status(args.run_dir)
    pid = found.doc.get("pid") if found.doc else None
    if not found.running or not isinstance(pid, int):
        return False
    try:
        os.kill(pid, signal.SIGUSR2)
    except OSError:
        return False
    return True


def cmd_trace_start(args: argparse.Namespace) -> int:
    path = args.path
    if path is None:
        found = find_status(args.run_dir)
        configured = (found.doc or {}).get("trace", {}).get("configured_path")
        path = Path(configured) if configured else DEFAULT_PATH
    try:
        settings = TraceSettings(path.resolve(), args.include_options, args.max_bytes, args.files)
    except ValueError as exc:
        print(f"sbc trace start: {exc}", file=sys.stderr)
        return 2
    control = _control_file(args)
    write_request(TraceRequest(True, settings), control)
    running = _signal_sbc(args)
    options = "with" if settings.include_options else "without"
    print(f"trace requested: {settings.path} ({options} OPTIONS)")
    if not running:
        print("the SBC is not running; the trace starts when it does", file=sys.stderr)
        return NOT_RUNNING
    return 0


def cmd_trace_stop(args: argparse.Namespace) -> int:
    control = _control_file(args)
    try:
        previous = read_request(control)
    except TraceRequestError:
        previous = None
    settings = previous.settings if previous is not None else TraceSettings()
    write_request(TraceRequest(False, settings), control)
    running = _signal_sbc(args)
    print(f"trace stopped; files are in {settings.path.parent}")
    return 0 if running else NOT_RUNNING


def cmd_trace_status(args: argparse.Namespace) -> int:
    found = find_status(args.run_dir)
    if not found.running or found.doc is None:
        print(f"sbc trace status: {found.problem}", file=sys.stderr)
        return NOT_RUNNING
    trace = found.doc.get("trace") or {}
    if trace.get("active"):
        print(f"trace on: {trace.get('path')} ({trace.get('messages', 0)} messages)")
    else:
        print("trace off")
    return 0


def _trace_path(args: argparse.Namespace) -> Path:
    """--path, else what the SBC traces (or would), else the last request, else the default."""
    if args.path is not None:
        return Path(args.path)
    found = find_status(args.run_dir)
    trace = (found.doc or {}).get("trace") or {}
    for key in ("path", "configured_path"):
        if isinstance(trace.get(key), str) and trace[key]:
            return Path(trace[key])
    try:
        request = read_request(_control_file(args))
    except (TraceRequestError, OSError):
        request = None
    return request.settings.path if request is not None else DEFAULT_PATH


def cmd_trace_files(args: argparse.Namespace) -> int:
    from .trace.bundle import describe

    path = _trace_path(args)
    files = describe(path)
    if args.json:
        print(json.dumps({"path": str(path), "files": [f.as_json() for f in files],
                          "total_bytes": sum(f.size for f in files),
                          "packets": sum(f.packets for f in files)}, indent=2))
        return 0
    if not files:
        print(f"no trace files at {path}")
        return 0
    for f in files:
        span = f"{f.as_json()['first']} .. {f.as_json()['last']}" if f.packets else "empty"
        print(f"{f.path}  {f.size} bytes  {f.packets} packets  {f.error or span}")
    return 0


def cmd_trace_bundle(args: argparse.Namespace) -> int:
    from .trace.bundle import PcapError, bundle

    path = _trace_path(args)
    try:
        merged, files = bundle(path)
    except (PcapError, OSError) as exc:
        print(f"sbc trace bundle: {exc}", file=sys.stderr)
        return 1
    if not files:
        print(f"sbc trace bundle: no trace file yet: {path}", file=sys.stderr)
        return 1
    if args.out == "-":
        sys.stdout.buffer.write(merged)
        sys.stdout.buffer.flush()
    else:
        from .util.atomic import atomic_write

        atomic_write(Path(args.out), merged)
        print(f"{args.out}: {len(files)} file(s) merged, {len(merged)} bytes")
    return 0


# -- lab PKI --------------------------------------------------------------------------


def cmd_lab_pki(args: argparse.Namespace) -> int:
    """ca.pem, sbc.crt/sbc.key (the SBC, as examples/lab.yaml expects) and peers/NAME.*."""
    from .certs.testpki import LabCA

    ca = LabCA("OpenSBC Lab")
    directory: Path = args.directory
    directory.mkdir(parents=True, exist_ok=True)
    ca.write_root(directory / "ca.pem")
    sbc = ca.write(directory, ca.issue(args.fqdn), stem="sbc")
    print(f"trust store: {directory / 'ca.pem'}")
    print(f"SBC {args.fqdn}: {sbc.cert} {sbc.key}")
    peers = args.peer or [
        "sip.pstnhub.microsoft.com", "sip2.pstnhub.microsoft.com", "sip3.pstnhub.microsoft.com"
    ]
    for name in peers:
        files = ca.write(directory / "peers", ca.issue(name))
        print(f"peer {name}: {files.cert} {files.key}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
