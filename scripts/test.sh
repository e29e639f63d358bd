#!/usr/bin/env bash
# Run every test suite: infra (Pulumi mocks), handler (DynamoDB Local), local (IVS emulator),
# player (Node and headless Chromium). Arguments go to pytest, e.g. scripts/test.sh -k poller.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec venv/bin/python -m pytest "$@"
