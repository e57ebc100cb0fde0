"""Services the SBC runs per connection: OPTIONS keep-alives and registration.

Each has a sans-IO state object fed with `now`, answers and failures (unit-tested with a
fake clock) and a small asyncio task driving it (`runner`):

- `options.OptionsProbe` / `runner.OptionsTask`: OPTIONS every `sbc.options_interval`
  to the resolved target; up/down, last code and reason, RTT, since when; changes go to
  `EventLog.options_status`.
- `registration.RegistrationState` / `runner.RegistrationTask`: REGISTER with digest
  auth (401/407), 423 Min-Expires, refresh at 50-80 % of the granted time, backoff with
  jitter after failures; results go to `EventLog.registration`.
"""

from .options import OptionsProbe, StatusChange
from .registration import RegistrationPolicy, RegistrationResult, RegistrationState
from .runner import OptionsTask, RegistrationTask, ServiceDeps, build_options

__all__ = [
    "OptionsProbe",
    "OptionsTask",
    "RegistrationPolicy",
    "RegistrationResult",
    "RegistrationState",
    "RegistrationTask",
    "ServiceDeps",
    "StatusChange",
    "build_options",
]
