"""Run the Node unit tests (tests/player/*.test.mjs) so that pytest covers them too."""

import shutil
import subprocess
from pathlib import Path

import pytest

TESTS_DIR = Path(__file__).resolve().parent


def test_node_unit_suite():
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not on PATH: install Node 20 to run tests/player/*.test.mjs")

    test_files = sorted(str(path) for path in TESTS_DIR.glob("*.test.mjs"))
    completed = subprocess.run(
        [node, "--test", *test_files],
        cwd=TESTS_DIR.parents[1],
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert completed.returncode == 0, completed.stdout[-4000:] + completed.stderr[-2000:]
