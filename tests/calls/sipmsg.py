"""SIP messages as SIPp logged them (-trace_msg), for the tests to check what went over.

SIPp writes every message it sent or received into `<scenario>_<pid>_messages.log`,
each after a line of dashes and a line "TCP message sent (N bytes):" or "TCP message
received [N] bytes :", and flushes as it goes, so a test can read it while SIPp runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

_BLOCK = re.compile(r"^-{20,} (\S+ \S+)\n(\w+) message (sent|received)[^\n]*\n\n", re.M)
# RFC 3261 7.3.3: compact forms
_COMPACT = {"i": "call-id", "m": "contact", "e": "content-encoding", "l": "content-length",
            "c": "content-type", "f": "from", "s": "subject", "k": "supported", "t": "to",
            "v": "via", "r": "refer-to", "b": "referred-by", "o": "event", "x": "session-expires"}


@dataclass
class SipMessage:
    direction: str  # "sent" or "received", from SIPp's point of view
    raw: str
    at: float = 0.0  # when SIPp logged it (epoch seconds)
    first_line: str = field(init=False)
    headers: list[tuple[str, str]] = field(init=False)
    body: str = field(init=False)
    complete: bool = field(init=False)

    def __post_init__(self) -> None:
        head, _, body = self.raw.partition("\r\n\r\n")
        lines = head.split("\r\n")
        self.first_line = lines[0]
        self.headers = []
        for line in lines[1:]:
            if line[:1] in (" ", "\t") and self.headers:  # folded (RFC 3261 7.3.1)
                name, value = self.headers[-1]
                self.headers[-1] = (name, f"{value} {line.strip()}")
            elif ":" in line:
                name, _, value = line.partition(":")
                self.headers.append((name.strip(), value.strip()))
        # SIPp's own notes ("Problem EAGAIN on socket ...") may follow a message in the
        # log: the body is what Content-Length says.
        length = self.header("Content-Length")
        self.complete = "\r\n\r\n" in self.raw and (
            not (length and length.isdigit()) or len(body.encode()) >= int(length))
        self.body = body[:int(length)] if length and length.isdigit() else body
    @property
    def is_request(self) -> bool:
        return not self.first_line.startswith("SIP/2.0 ")

    @property
    def method(self) -> str | None:
        return self.first_line.split(" ", 1)[0] if self.is_request else None

    @property
    def status(self) -> int | None:
        return None if self.is_request else int(self.first_line.split(" ")[1])

    @property
    def uri(self) -> str:
        assert self.is_request, self.first_line
        return self.first_line.split(" ")[1]

    @property
    def cseq_number(self) -> int:
        return int((self.header("CSeq") or "0").split()[0])

    @property
    def cseq_method(self) -> str:
        return (self.header("CSeq") or " ").split()[-1]

    def all(self, name: str) -> list[str]:
        """Every value of a header (comma-separated values are not split)."""
        want = name.lower()
        return [value for key, value in self.headers
                if _COMPACT.get(key.lower(), key.lower()) == want]

    def header(self, name: str) -> str | None:
        values = self.all(name)
        return values[0] if values else None

    def has(self, name: str) -> bool:
        return bool(self.all(name))

    def sdp_lines(self) -> list[str]:
        return [line for line in self.body.replace("\r\n", "\n").split("\n") if line]

    def sdp(self) -> bytes:
        return self.body.encode()

    def __str__(self) -> str:
        return f"[{self.direction}]\n{self.raw}"


def parse_log(text: str) -> list[SipMessage]:
    """The messages in a SIPp messages log; one still being written (shorter than its
    Content-Length) is left out."""
    marks = list(_BLOCK.finditer(text))
    out = []
    for i, mark in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        chunk = text[mark.end():end]
        while chunk.endswith("\n") and not chunk.endswith("\r\n"):  # SIPp's own newlines
            chunk = chunk[:-1]
        at = datetime.strptime(mark.group(1), "%Y-%m-%d %H:%M:%S.%f").timestamp()
        msg = SipMessage(mark.group(3), chunk, at)
        if msg.complete:
            out.append(msg)
    return out


def read_messages(directory: Path) -> list[SipMessage]:
    out: list[SipMessage] = []
    for path in sorted(directory.glob("*_messages.log")):
        out += parse_log(path.read_bytes().decode(errors="replace"))
    return out
