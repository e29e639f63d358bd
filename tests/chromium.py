"""How every browser test starts Debian's Chromium: headless, as root, and offline.

Playwright must not download a browser here, so the tests launch /usr/bin/chromium. The flags
keep Chromium from its own background traffic. The resolver rule makes every host but 127.0.0.1
unresolvable, in case a request escapes the tests' routes.
"""

from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
