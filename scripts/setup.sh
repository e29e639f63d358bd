#!/usr/bin/env bash
# Install what the offline run and the tests need, and print each install step.
# Debian packages: Java 17 (DynamoDB Local), ffmpeg (test-pattern video), Chromium (browser tests).
# Python packages go into ./venv, Node packages into ./node_modules. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v java >/dev/null || missing+=(openjdk-17-jre-headless)
command -v ffmpeg >/dev/null || missing+=(ffmpeg)
[ -x /usr/bin/chromium ] || missing+=(chromium)
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    echo "setup: installing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "setup: missing ${missing[*]}; install them (Debian: sudo apt-get install ${missing[*]}) and run again" >&2
    exit 1
  fi
fi
for tool in node npm python3; do
  command -v "$tool" >/dev/null || { echo "setup: $tool not found; install it and run again" >&2; exit 1; }
done

if [ ! -x venv/bin/python ]; then
  echo "setup: creating the Python virtual environment in ./venv"
  python3 -m venv venv
fi
if [ ! -f venv/.installed ] || [ requirements-dev.txt -nt venv/.installed ] || [ requirements.txt -nt venv/.installed ]; then
  echo "setup: installing Python packages from requirements-dev.txt"
  venv/bin/pip install -q --disable-pip-version-check -r requirements-dev.txt
  touch venv/.installed
fi

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing Node packages from package-lock.json"
  npm ci --no-audit --no-fund --loglevel=error
fi
if [ ! -f build/ivs-player/amazon-ivs-player.js ] || [ package-lock.json -nt build/ivs-player/amazon-ivs-player.js ]; then
  echo "setup: bundling the IVS player for local pages"
  npm run -s bundle-player
fi
echo "setup: done"
