"""Idle memory of `fedivoisin serve` with no traffic (goal: ≤ 64 MB RSS).

Starts the real server on a free loopback port with a fresh data dir, waits until it
answers, lets it settle, then reads VmRSS from /proc. Also prints which heavy modules are
imported at idle, since the goal is met by importing them only where used.
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

RESULTS = Path(__file__).parent / "results" / "idle_memory.json"
HEAVY = ("pyld", "jsonschema", "icalendar", "httpx", "aiohttp", "cryptography", "aiosqlite")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def one_run() -> tuple[float, list[str]]:
    port = free_port()
    with tempfile.TemporaryDirectory() as data:
        env = {**os.environ, "FEDIVOISIN_LOG_LEVEL": "warning"}
        code = (
            "import sys, threading, time\n"
            "from fedivoisin.cli import main\n"
            "def report():\n"
            "    time.sleep(3)\n"
            f"    heavy = [m for m in {HEAVY!r} if m in sys.modules]\n"
            "    print('LOADED', ','.join(heavy), flush=True)\n"
            "threading.Thread(target=report, daemon=True).start()\n"
            f"main(['serve', '--data-dir', {data!r}, '--port', '{port}'])\n"
        )
        proc = subprocess.Popen(
            [sys.executable, "-c", code],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    urllib.request.urlopen(
                        f"http://127.0.0.1:{port}/.well-known/nodeinfo", timeout=1
                    )
                    break
                except OSError:
                    time.sleep(0.1)
            time.sleep(3.5)
            kib = rss_kib(proc.pid)
        finally:
            proc.terminate()
            out, _ = proc.communicate(timeout=10)
    loaded = next(
        (
            line.split(" ", 1)[1].split(",")
            for line in out.splitlines()
            if line.startswith("LOADED")
        ),
        [],
    )
    return kib / 1024, [m for m in loaded if m]


def main() -> None:
    runs = [one_run() for _ in range(3)]
    mibs = [r[0] for r in runs]
    result = {
        "idle_rss_mib_median": round(statistics.median(mibs), 1),
        "idle_rss_mib_runs": [round(m, 1) for m in mibs],
        "heavy_modules_loaded_at_idle": runs[-1][1],
        "goal_mib": 64,
        "python": sys.version.split()[0],
    }
    print(json.dumps(result, indent=2))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
