"""The calls and OPTIONS reports without and with a profile (no peers, no load).

A report must never print shares it did not measure: without a profile it says that no
profile was taken and why (the part's entry in `skipped`), and its advice holds no
figure from a profile; with one, the shares it prints are the profile's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from benchmarks import calls, calls_profile, options
from benchmarks.calls_peers import CallStep
from benchmarks.calls_report import body, profile_missing
from benchmarks.options_report import body as options_body
from benchmarks.sip_ladder import LadderResult
from benchmarks.sip_servers import Pki

VERSIONS = {"sbc": "0", "python": "3", "kamailio": "5", "sipp": "3", "rtpengine": "10"}
FILLER = ("a large share", "none of the known ones", "many hundreds of", "about 300 KiB")
NO_PY_SPY = "SBC profile (py-spy is not installed: `make bench` installs it)"


def _step(target: int, cpu: float, verdict: str) -> CallStep:
    return CallStep("SBC signalling", target, sent=target * 6, ok=target * 6,
                    achieved=float(target), server_cpu_pct=cpu, verdict=verdict)


def _run(tmp_path: Path, profile: dict[str, Any], skipped: list[str]) -> calls.Run:
    run = calls.Run(tmp_path)
    run.ladders["SBC signalling"] = LadderResult(
        "SBC signalling", 300, 400,
        [_step(100, 40.0, "PASS"), _step(300, 93.0, "PASS"), _step(400, 99.5, "FAIL(retrans)")])
    run.profile, run.skipped = profile, skipped
    return run


PROFILE: dict[str, Any] = {
    "rate": 180, "ok": 1440, "sent": 1440, "samples": 2345, "secs": 8,
    "file": "build/bench/calls/x/sbc-profile.speedscope.json", "spy_version": "py-spy 0.4.3",
    "waiting_share": 7.0, "stime_share": 0.12, "loop": "uvloop",
    "areas": [("SIP messages, parser, transactions, dialogs (sbc/sip)", 37.4),
              (calls_profile.NATIVE_LOOP, 23.7), ("ipaddress", 4.1), ("logging", 0.3)],
    "own": [("Runner.run (asyncio/runners.py:86)", 23.7),
            ("_parse_sip (sbc/sip/uri.py:186)", 2.9),
            ("_BaseV4._ip_int_from_string (ipaddress.py:1187)", 1.6)],
    "inclusive": [("SipEngine._do (sbc/core/engine.py:326)", 61.2)],
}


def _section(text: str, title: str) -> str:
    start = text.index(f"### {title}")
    end = text.find("\n### ", start + 1)
    return text[start:] if end < 0 else text[start:end]


def test_without_a_profile_the_report_says_so_and_why(tmp_path: Path) -> None:
    text = body(_run(tmp_path, {}, [NO_PY_SPY]), VERSIONS, "0.00 0.00 0.00")
    for filler in FILLER:
        assert filler not in text
    where = _section(text, "Where the SBC's time goes")
    assert "Not measured in this run. No profile was taken (" in where
    assert "py-spy is not installed" in where
    advice = _section(text, "What would raise the SBC's calls/s")
    assert "By area" not in advice and "stands out" not in advice
    assert " % of the SBC's time" not in advice
    # the advice that rests on the ladders and on design stays
    assert "More cores" in advice and "Less work per message" in advice
    assert "used 93 % of one" in advice and "failing step shows it at 100 %" in advice


def test_without_a_reason_recorded(tmp_path: Path) -> None:
    run = _run(tmp_path, {}, [])
    assert profile_missing(run) == "no reason was recorded"
    run.skipped = ["SBC profile (time budget)"]
    assert profile_missing(run) == "time budget"


def test_with_a_profile_the_shares_are_the_measured_ones(tmp_path: Path) -> None:
    text = body(_run(tmp_path, PROFILE, []), VERSIONS, "0.00 0.00 0.00")
    for filler in FILLER:
        assert filler not in text
    where = _section(text, "Where the SBC's time goes")
    assert "No profile was taken" not in where and "Not measured" not in where
    assert "| ipaddress | 4.1 % |" in where and "2,345 samples" in where
    assert "ran on uvloop" in where and "**12 %**" in where
    advice = _section(text, "What would raise the SBC's calls/s")
    flat = " ".join(advice.split())
    assert "(sbc/sip) 37 %" in flat and "ipaddress 4 %" in flat
    assert "logging" not in flat  # under 1 %: left out, not rounded to 0 %
    assert "(`_parse_sip`, 2.9 %)" in flat and "(`Runner.run`, 23.7 %)" in flat
    assert "here `ipaddress` 4 %, `_parse_sip` 3 % of the SBC's time" in flat
    assert "A faster event loop" not in flat  # it already ran on uvloop


def test_unknown_functions_show_the_top_ones(tmp_path: Path) -> None:
    profile = {**PROFILE, "loop": "asyncio",
               "own": [("frob (sbc/x.py:1)", 9.5), ("twiddle (sbc/y.py:2)", 4.3)]}
    flat = " ".join(body(_run(tmp_path, profile, []), VERSIONS, "-").split())
    assert "the top ones by own time, `frob` (9.5 %), `twiddle` (4.3 %)" in flat
    assert "this run's SBC ran on asyncio's own loop" in flat


def test_summary_of_a_uvloop_profile() -> None:
    """uvloop's C code ends samples in Runner.run; the executor's idle thread is waiting."""
    frames = [{"name": "Runner.run", "file": "/usr/lib/python3.11/asyncio/runners.py",
               "line": 86},
              {"name": "parse", "file": "/x/appliance/sbc/sip/parser.py", "line": 5},
              {"name": "_worker", "file": "/usr/lib/python3.11/concurrent/futures/thread.py",
               "line": 69}]
    doc = {"shared": {"frames": frames},
           "profiles": [{"samples": [[0], [0, 1], [0, 1], [0, 1]], "weights": [1] * 4},
                        {"samples": [[2]], "weights": [1]}]}
    summary = calls_profile.summarise(doc)
    assert summary["loop"] == "uvloop"
    assert summary["samples"] == 4
    assert summary["waiting_share"] == pytest.approx(20.0)
    assert dict(summary["areas"])[calls_profile.NATIVE_LOOP] == pytest.approx(25.0)


def test_summary_of_an_asyncio_profile() -> None:
    frames = [{"name": "BaseEventLoop._run_once",
               "file": "/usr/lib/python3.11/asyncio/base_events.py", "line": 1845},
              {"name": "parse", "file": "/x/appliance/sbc/sip/parser.py", "line": 5}]
    doc = {"shared": {"frames": frames},
           "profiles": [{"samples": [[0, 1], [0]], "weights": [1, 1]}]}
    summary = calls_profile.summarise(doc)
    assert summary["loop"] == "asyncio"
    assert calls_profile.NATIVE_LOOP not in dict(summary["areas"])


def _options_run(tmp_path: Path, profile: dict[str, Any], skipped: list[str]) -> options.Run:
    pki = Pki(*(tmp_path / name for name in ("ca", "cert", "key", "ccert", "ckey")))
    run = options.Run(tmp_path, pki)
    run.profile, run.skipped = profile, skipped
    return run


OPTIONS_PROFILE: dict[str, Any] = {
    "rate": 500, "handled": 4000, "cpu_s": 1.2, "calls_per_request": 1014.0,
    "us_per_request": 300.0,
    "stages": [("parse the datagram", 15.2, 1.0), ("validate the request", 31.6, 1.0)],
    "counts": {"via": 2.0, "uri": 6.0, "lower": 12.0, "ip": 4.0},
    "own": [("parse_via (sbc/sip/fields.py:72)", 3.0, 2.0)],
    "cumulative": [("datagram_received (sbc/transport/udp.py:30)", 99.0, 1.0)],
}


def test_options_report_without_a_profile(tmp_path: Path) -> None:
    text = options_body(_options_run(tmp_path, {}, ["SBC profile (time budget)"]), VERSIONS)
    for filler in FILLER:
        assert filler not in text
    where = _section(text, "Where the SBC's time goes")
    assert "No profile was taken (time budget)" in where
    advice = " ".join(_section(text, "What would raise the SBC's figures").split())
    assert "per OPTIONS" not in advice.split("Kamailio parses")[0]
    assert "% of its time" not in advice and "function calls" not in advice
    assert "Memory per TLS connection: not measured in this run" in advice


def test_options_report_with_a_profile(tmp_path: Path) -> None:
    text = options_body(_options_run(tmp_path, OPTIONS_PROFILE, []), VERSIONS)
    advice = " ".join(_section(text, "What would raise the SBC's figures").split())
    assert "with about 1,014 function calls" in advice
    assert "objects (15 % of its time)" in advice and "whole (32 % of its time)" in advice
    assert "2 Via and 6 URI parses per OPTIONS" in advice
    assert "12 `str.lower` calls per OPTIONS" in advice
    assert "(4 address parses per OPTIONS)" in advice


def test_options_memory_says_how_many_connections_were_really_open(tmp_path: Path) -> None:
    run = _options_run(tmp_path, {}, [])
    run.memory["SBC"] = {"baseline": {"rss": 50000}, "points": [
        {"connections": 200, "open": 200, "rss_per_conn_kib": 40.0},
        {"connections": 1000, "open": 64, "rss_per_conn_kib": 50.6}]}
    text = options_body(run, VERSIONS)
    assert "| memory per idle mutual-TLS connection, 200 open | 40.0 KiB (VmRSS)" in text
    assert "50.6 KiB (only 64 of 1,000 opened) (VmRSS)" in text
