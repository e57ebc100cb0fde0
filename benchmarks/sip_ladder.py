"""Load steps and the ladder that steps the rate up until one fails (the method of the
shared peer harness, /work/shared/bench/peers/run_peer_baseline.sh).

A step fails when failed requests (errors, timeouts, unanswered) reach 0.1 %, when
retransmissions (UDP) or answers later than 500 ms (TLS: no retransmissions on a
reliable transport, so a late answer is what would have been one) reach 1 %, or when
the achieved rate is under 95 % of the target. The ladder doubles the rate from `start`
until a step fails (or halves it while even the first fails), retries a failed step once
when other tenants used more than half a core during it, then bisects between the last
pass and the first failure. Every loop is
bounded by a step count and by a deadline.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

FAIL_RATIO = 0.001
RETRANS_RATIO = 0.01
RATE_RATIO = 0.95
BUSY_RETRY_PCT = 50.0


@dataclass
class Step:
    label: str  # e.g. "SBC udp"
    target: int  # requests/s asked for
    sent: int = 0
    ok: int = 0  # 200 answers
    failed: int = 0  # everything that did not end in a 200
    retrans: int = 0  # UDP retransmissions, or TLS answers later than 500 ms
    achieved: float = 0.0  # requests/s actually sent
    rtt_ms: float = 0.0  # mean response time
    server_cpu_pct: float = 0.0  # % of one core, steady-state window
    client_cpu_pct: float = 0.0
    background_pct: float = 0.0  # other tenants, % of one core
    udp_drops: int = 0
    note: str = ""
    verdict: str = ""
    extra: dict[str, str] = field(default_factory=dict)  # e.g. the TLS version seen

    @property
    def us_per_request(self) -> float:
        """Server CPU per answered request (µs), from the steady-state window."""
        rate = min(self.achieved, float(self.target))
        return 1e4 * self.server_cpu_pct / rate if rate > 0 else 0.0

    def judge(self) -> str:
        n = max(self.sent, 1)
        if self.failed >= FAIL_RATIO * n or self.sent == 0:
            self.verdict = "FAIL(failed)"
        elif self.retrans >= RETRANS_RATIO * n:
            self.verdict = "FAIL(retrans)" if "udp" in self.label else "FAIL(late)"
        elif self.achieved < RATE_RATIO * self.target:
            self.verdict = "FAIL(rate)"
        else:
            self.verdict = "PASS"
        return self.verdict

    @property
    def passed(self) -> bool:
        return self.verdict == "PASS"

    def row(self) -> str:
        return (f"{self.label:<16} {self.target:>7} {self.achieved:>9.0f} {self.ok:>8} "
                f"{self.failed:>6} {self.retrans:>7} {self.rtt_ms:>7.1f} "
                f"{self.server_cpu_pct:>6.0f} {self.us_per_request:>7.0f} "
                f"{self.client_cpu_pct:>6.0f} {self.background_pct:>6.0f} {self.udp_drops:>6} "
                f"{self.verdict}{(' ' + self.note) if self.note else ''}")


HEADER = (f"{'step':<16} {'target':>7} {'achieved':>9} {'ok':>8} {'failed':>6} "
          f"{'retr/late':>7} {'rt_ms':>7} {'srv%':>6} {'us/req':>7} {'gen%':>6} "
          f"{'other%':>6} {'drops':>6} verdict")


@dataclass
class LadderResult:
    label: str
    best: int  # highest passing target, 0 when none passed
    first_fail: int | None
    steps: list[Step]
    stopped: str = ""  # why the ladder ended early (budget), if it did

    @property
    def best_step(self) -> Step | None:
        passing = [s for s in self.steps if s.passed and s.target == self.best]
        return passing[-1] if passing else None


def _nice(rate: float) -> int:
    """Round a bisection midpoint to 2 significant digits (1234 -> 1200)."""
    if rate < 100:
        return max(1, int(rate))
    digits = len(str(int(rate))) - 2
    return int(round(rate / 10**digits) * 10**digits)


def ladder(
    label: str,
    run_step: Callable[[int], Step],
    *,
    start: int,
    factor: float = 2.0,
    max_steps: int = 8,
    refine: int = 2,
    deadline: float,
    step_cost: float,
    log: Callable[[str], None] = print,
) -> LadderResult:
    """Step up from `start` until a step fails, then `refine` bisections. `deadline` is
    a time.monotonic() value; a step is only started if `step_cost` seconds remain."""
    steps: list[Step] = []
    best, bad = 0, None
    stopped = ""

    def room() -> bool:
        return time.monotonic() + step_cost < deadline

    def attempt(rate: int) -> bool:
        step = run_step(rate)
        steps.append(step)
        log(step.row())
        if step.passed:
            return True
        if step.background_pct > BUSY_RETRY_PCT and room():
            log(f"{label}: {rate}/s failed while other tenants used "
                f"{step.background_pct:.0f} % of a core; retrying once")
            step.note = "(machine busy; retried)"
            step = run_step(rate)
            steps.append(step)
            log(step.row())
            return step.passed
        return False

    rate = start
    for _ in range(max_steps):
        if not room():
            stopped = "time budget"
            break
        if attempt(rate):
            best = rate
            rate = int(rate * factor)
            continue
        bad = rate
        break
    down = rate
    while bad is not None and best == 0 and down > 1 and len(steps) < 2 * max_steps:
        # even the first step failed: step down (bounded) until one passes
        down = max(1, int(down / factor))
        if not room():
            stopped = "time budget"
            break
        if attempt(down):
            best = down
        else:
            bad = down
    if bad is not None and best > 0:
        for _ in range(refine):
            mid = _nice((best + bad) / 2)
            if mid <= best or mid >= bad:
                break
            if not room():
                stopped = "time budget"
                break
            if attempt(mid):
                best = mid
            else:
                bad = mid
    if stopped:
        log(f"{label}: stopped early ({stopped})")
    return LadderResult(label, best, bad, steps, stopped)
