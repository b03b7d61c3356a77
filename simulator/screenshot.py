"""Take a PNG of a Home Assistant dashboard started by scripts/develop, signed in as the dev user.

Usage: scripts/run python -m simulator.screenshot [--path /tesla-sync/overview] [--out docs/dashboard.png]
It drives a headless Chromium (Debian package `chromium`) over the DevTools protocol. When the project's
Python runs in the provisioned root filesystem, Chromium lives on the host: start it there first with
`chromium --headless --no-sandbox --remote-debugging-port=9223 about:blank` and pass `--attach`.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import itertools
import json
from pathlib import Path
import shutil
import subprocess
import tempfile
import time
from typing import Any

import aiohttp

from .homesetup import HomeAssistantSetup, Owner

HASS_URL = "http://127.0.0.1:8123"
DEVTOOLS_PORT = 9223


async def _devtools_page(session: aiohttp.ClientSession) -> str:
    """The WebSocket address of Chromium's first page, once Chromium answers."""
    deadline = time.monotonic() + 30
    while True:
        try:
            async with session.get(f"http://127.0.0.1:{DEVTOOLS_PORT}/json") as response:
                pages = [page for page in await response.json() if page.get("type") == "page"]
                if pages:
                    return str(pages[0]["webSocketDebuggerUrl"])
        except aiohttp.ClientError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError("Chromium did not start")
        await asyncio.sleep(0.5)


async def capture(path: str, *, width: int, height: int, settle: float, attach: bool) -> bytes:
    """Sign in, hand the token to the frontend, open `path` and return a PNG of it."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None and not attach:
        raise SystemExit("Chromium is not installed here (apt-get install chromium), see --attach")
    with tempfile.TemporaryDirectory() as profile:
        browser = (
            None
            if attach or chromium is None
            # A fixed argument list naming the local Chromium; started once and stopped in `finally`.
            else subprocess.Popen(  # noqa: ASYNC220, S603
                [
                    chromium,
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-quic",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    f"--user-data-dir={profile}",
                    f"--remote-debugging-port={DEVTOOLS_PORT}",
                    f"--window-size={width},{height}",
                    "about:blank",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        try:
            async with aiohttp.ClientSession() as session:
                home = HomeAssistantSetup(session, HASS_URL)
                token = await home.sign_in(Owner())
                socket = await session.ws_connect(await _devtools_page(session), max_msg_size=0)
                ids = itertools.count(1)

                async def send(method: str, **params: Any) -> Any:
                    message_id = next(ids)
                    await socket.send_json({"id": message_id, "method": method, "params": params})
                    async for message in socket:
                        data = json.loads(message.data)
                        if data.get("id") == message_id:
                            return data.get("result", {})
                    raise RuntimeError("DevTools connection closed")

                tokens = {
                    "access_token": token,
                    "token_type": "Bearer",
                    "expires_in": 1800,
                    "hassUrl": HASS_URL,
                    "clientId": home.client_id,
                    "expires": int(time.time() * 1000) + 1_800_000,
                    "refresh_token": "",
                }
                await send("Page.navigate", url=f"{HASS_URL}/auth/authorize")
                await asyncio.sleep(1)
                await send(
                    "Runtime.evaluate",
                    expression=f"localStorage.setItem('hassTokens', {json.dumps(json.dumps(tokens))})",
                )
                await send(
                    "Emulation.setDeviceMetricsOverride",
                    width=width,
                    height=height,
                    deviceScaleFactor=1,
                    mobile=False,
                )
                await send("Page.navigate", url=f"{HASS_URL}{path}")
                await asyncio.sleep(settle)
                shot = await send("Page.captureScreenshot", format="png")
                await socket.close()
        finally:
            if browser is not None:
                browser.terminate()
                browser.wait(timeout=10)
    return base64.b64decode(shot["data"])


def main() -> None:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--path", default="/tesla-sync/overview")
    parser.add_argument("--out", type=Path, default=Path("docs/dashboard.png"))
    parser.add_argument("--width", type=int, default=1400)
    parser.add_argument("--height", type=int, default=1000)
    parser.add_argument("--settle", type=float, default=8.0, help="seconds to let the page render")
    parser.add_argument("--attach", action="store_true", help="use a Chromium already on port 9223")
    args = parser.parse_args()
    png = asyncio.run(
        capture(args.path, width=args.width, height=args.height, settle=args.settle, attach=args.attach)
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(png)


if __name__ == "__main__":
    main()
