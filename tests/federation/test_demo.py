"""Issue 6: `fedivoisin demo` plays the mesh scene and exits 0, leaving nothing running."""

from __future__ import annotations

import subprocess
import sys


def test_demo_runs_the_scene_and_exits_cleanly() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "fedivoisin", "demo"], capture_output=True, text=True, timeout=90
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    for line in (
        "Announce(Event)",
        "Announce(Alert)",
        "threaded under the party",
        "all instances stopped",
    ):
        assert line in out, out
    assert "Traceback" not in proc.stderr
    # Every port the demo printed is closed again.
    import re
    import socket

    for port in re.findall(r"http://127\.0\.0\.1:(\d+)", out):
        with socket.socket() as s:
            assert s.connect_ex(("127.0.0.1", int(port))) != 0, f"port {port} still open"
