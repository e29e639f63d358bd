"""The DynamoDB Local launcher: loopback only, and no process left when its owner dies."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from local.dynamodb_local import DynamoDBLocal, DynamoDBLocalError, find_jar

REPO_ROOT = Path(__file__).resolve().parents[2]
OWNER_SCRIPT = """
import time
from local.dynamodb_local import DynamoDBLocal
server = DynamoDBLocal().start()
print(server._process.pid, flush=True)
time.sleep(600)
"""


def process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still has a pid until its parent reaps it; it no longer runs.
    status = (
        Path(f"/proc/{pid}/stat").read_text().split()[2] if Path(f"/proc/{pid}").exists() else "X"
    )
    return status not in ("Z", "X")


def test_stops_when_owner_killed(dynamodb_local):
    owner = subprocess.Popen(
        [sys.executable, "-c", OWNER_SCRIPT], cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True
    )
    java_pid = int(owner.stdout.readline())
    os.kill(owner.pid, signal.SIGKILL)
    owner.wait()
    owner.stdout.close()

    deadline = time.monotonic() + 20
    while process_exists(java_pid) and time.monotonic() < deadline:
        time.sleep(0.2)

    assert not process_exists(java_pid)


def test_listens_on_loopback_only(dynamodb_local):
    listening = Path("/proc/net/tcp6").read_text() + Path("/proc/net/tcp").read_text()
    port_hex = f":{dynamodb_local.port:04X} "
    rows = [row.split() for row in listening.splitlines() if port_hex in row]
    local_addresses = {row[1].split(":")[0] for row in rows if row[3] == "0A"}

    assert local_addresses
    # 127.0.0.1 as IPv4 (0100007F) or IPv4-mapped IPv6 (0000000000000000FFFF00000100007F).
    assert all(address.endswith("0100007F") for address in local_addresses)


def test_missing_jar_names_fix(tmp_path):
    with pytest.raises(DynamoDBLocalError, match="run `npm ci`"):
        find_jar(tmp_path)


def test_stop_twice_is_harmless(dynamodb_local):
    server = DynamoDBLocal().start()
    server.stop()
    server.stop()

    assert server._process is None
