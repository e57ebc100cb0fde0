"""A Teams endpoint's ICE in its own network namespace: `media.ice.IceAgent` driven over
stdin/stdout, one JSON object per line (see `bypass.NetnsAgent`, the test's side).

    ip netns exec NS python tests/calls/iceagent.py 10.79.0.1
    -> {"ufrag": ..., "pwd": ..., "candidate": ..., "host": ..., "port": ...}
    <- {"cmd": "connect", "sdp": "..."}            -> {"remote": [host, port]} | {"error": ...}
    <- {"cmd": "send", "packets": ["hex", ...]}     -> {"sent": n}   (one per 20 ms)
    <- {"cmd": "recv", "count": n, "timeout": s}    -> {"packets": ["hex", ...]}
    <- {"cmd": "quit"}
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from media.ice import IceAgent  # noqa: E402


def say(message: dict[str, Any]) -> None:
    print(json.dumps(message), flush=True)


async def serve(address: str) -> None:
    agent = await IceAgent.start(address)
    host, port = agent.address
    say({"ufrag": agent.ufrag, "pwd": agent.pwd, "candidate": agent.candidate.to_sdp(),
         "host": host, "port": port})
    loop = asyncio.get_running_loop()
    try:
        while True:
            line = await loop.run_in_executor(None, sys.stdin.readline)
            if not line:
                return
            command = json.loads(line)
            name = command.get("cmd")
            if name == "quit":
                return
            if name == "connect":
                try:
                    say({"remote": list(await agent.connect(command["sdp"]))})
                except AssertionError as exc:
                    say({"error": str(exc)})
            elif name == "send":
                for packet in command["packets"]:
                    await agent.send(bytes.fromhex(packet))
                    await asyncio.sleep(0.02)
                say({"sent": len(command["packets"])})
            elif name == "recv":
                packets: list[str] = []
                try:
                    while len(packets) < int(command["count"]):
                        packets.append((await agent.recv(float(command["timeout"]))).hex())
                except TimeoutError:
                    pass
                say({"packets": packets})
            else:
                say({"error": f"unknown command {name!r}"})
    finally:
        await agent.close()


if __name__ == "__main__":
    asyncio.run(serve(sys.argv[1]))
