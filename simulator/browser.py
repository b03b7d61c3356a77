"""A small DevTools-protocol client for a local headless Chromium: the screenshots and the browser test.

Chromium is Debian's `chromium` package (or a Chrome already on the machine; `$CHROMIUM` names another
binary). Nothing is downloaded. Chromium picks a free DevTools port itself (`--remote-debugging-port=0`),
so several runs can share a machine.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
import contextlib
import itertools
import json
import os
from pathlib import Path
import shutil
import signal
import tempfile
from typing import Any, Final

import aiohttp

BROWSERS: Final = ("chromium", "chromium-browser", "google-chrome-stable", "google-chrome")
START_SECONDS: Final = 30.0

# Text of the page as a person reads it, shadow roots included (Home Assistant's UI is web components).
PAGE_TEXT_JS: Final = """(() => {
  const parts = [];
  const skip = new Set(["SCRIPT", "STYLE", "TEMPLATE"]);
  const walk = (node) => {
    if (node.shadowRoot) walk(node.shadowRoot);
    for (const child of node.childNodes) {
      if (child.nodeType === Node.TEXT_NODE) {
        const text = child.textContent.trim();
        if (text) parts.push(text);
      } else if (child.nodeType === Node.ELEMENT_NODE && !skip.has(child.tagName)) {
        walk(child);
      }
    }
  };
  walk(document);
  return parts.join("\\n");
})()"""

# Defines `deepQuery(selector)`: the first element matching `selector` in the document or any shadow root.
DEEP_QUERY_JS: Final = """const deepQuery = (selector) => {
  const roots = [document];
  while (roots.length) {
    const root = roots.shift();
    const found = root.querySelector(selector);
    if (found) return found;
    for (const element of root.querySelectorAll("*")) {
      if (element.shadowRoot) roots.push(element.shadowRoot);
    }
  }
  return null;
};"""


class BrowserError(RuntimeError):
    """Chromium could not be found, started or driven."""


def find_chromium() -> str | None:
    """The Chromium (or Chrome) to run: `$CHROMIUM`, else the first on PATH."""
    explicit = os.environ.get("CHROMIUM")
    if explicit:
        return explicit
    return next((path for name in BROWSERS if (path := shutil.which(name))), None)


class Page:
    """One browser tab over a DevTools WebSocket. Collects the console's errors as they happen."""

    def __init__(self, socket: aiohttp.ClientWebSocketResponse) -> None:
        """Drive the page behind `socket`; call `start` before anything else."""
        self._socket = socket
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._reader: asyncio.Task[None] | None = None
        self.console_errors: list[str] = []

    async def start(self) -> None:
        """Read replies and events in the background, and turn on the console's events."""
        self._reader = asyncio.create_task(self._read(), name="devtools reader")
        await self.send("Runtime.enable")
        await self.send("Log.enable")
        await self.send("Page.enable")

    async def close(self) -> None:
        """Stop reading and close the connection."""
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        await self._socket.close()

    async def _read(self) -> None:
        async for message in self._socket:
            if message.type is not aiohttp.WSMsgType.TEXT:
                continue
            data: dict[str, Any] = json.loads(message.data)
            if "id" in data:
                future = self._pending.pop(data["id"], None)
                if future is not None and not future.done():
                    future.set_result(data)
            else:
                self._on_event(data.get("method", ""), data.get("params", {}))
        for future in self._pending.values():
            if not future.done():
                future.set_exception(BrowserError("the DevTools connection closed"))

    def _on_event(self, method: str, params: dict[str, Any]) -> None:
        match method:
            case "Runtime.consoleAPICalled" if params.get("type") == "error":
                self.console_errors.append(
                    " ".join(str(arg.get("value", arg.get("description", ""))) for arg in params["args"])
                )
            case "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                exception = details.get("exception", {})
                self.console_errors.append(str(exception.get("description") or details.get("text")))
            case "Log.entryAdded" if params.get("entry", {}).get("level") == "error":
                entry = params["entry"]
                self.console_errors.append(f"{entry.get('text')} ({entry.get('url', '')})")
            case _:
                pass

    async def send(self, method: str, **params: Any) -> dict[str, Any]:
        """Call one DevTools method and return its result."""
        message_id = next(self._ids)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[message_id] = future
        await self._socket.send_json({"id": message_id, "method": method, "params": params})
        reply = await asyncio.wait_for(future, timeout=60)
        if "error" in reply:
            raise BrowserError(f"{method}: {reply['error']}")
        result: dict[str, Any] = reply.get("result", {})
        return result

    async def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (promises are awaited)."""
        result = await self.send(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in result:
            raise BrowserError(f"{expression[:80]}...: {result['exceptionDetails']}")
        return result.get("result", {}).get("value")

    async def navigate(self, url: str) -> None:
        """Open `url` (returns once the navigation started, not when the page is done)."""
        await self.send("Page.navigate", url=url)

    async def text(self) -> str:
        """Everything the page shows as text, shadow roots included."""
        return str(await self.evaluate(PAGE_TEXT_JS))

    async def wait_for_text(self, *needles: str, within: float = 30.0) -> str:
        """Wait until the page shows every one of `needles`; returns the page's text."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while True:
            text = await self.text()
            if all(needle in text for needle in needles):
                return text
            if loop.time() > deadline:
                missing = [needle for needle in needles if needle not in text]
                raise BrowserError(f"the page never showed {missing}; it shows:\n{text[-3000:]}")
            await asyncio.sleep(0.25)

    async def wait_for(self, expression: str, *, within: float = 30.0) -> Any:
        """Wait until a JavaScript expression (which may use `deepQuery`) is truthy; returns its value."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while True:
            value = await self.evaluate(f"(() => {{ {DEEP_QUERY_JS} return ({expression}); }})()")
            if value:
                return value
            if loop.time() > deadline:
                raise BrowserError(f"timed out waiting for {expression}")
            await asyncio.sleep(0.25)

    async def type_into(self, selector: str, text: str) -> None:
        """Focus the first element matching `selector` (shadow roots included) and type `text`."""
        await self.wait_for(f"!!deepQuery({json.dumps(selector)})")
        await self.evaluate(f"(() => {{ {DEEP_QUERY_JS} deepQuery({json.dumps(selector)}).focus(); }})()")
        await self.send("Input.insertText", text=text)

    async def press_enter(self) -> None:
        """Press and release Enter in the focused element."""
        for kind in ("keyDown", "keyUp"):
            await self.send(
                "Input.dispatchKeyEvent",
                type=kind,
                key="Enter",
                code="Enter",
                windowsVirtualKeyCode=13,
                text="\r" if kind == "keyDown" else "",
            )

    async def set_viewport(self, width: int, height: int) -> None:
        """Size the page as a window of `width` x `height` CSS pixels."""
        await self.send(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )

    async def screenshot(self, clip: dict[str, float] | None = None) -> bytes:
        """A PNG of what the page shows now, or of `clip` (x, y, width, height in CSS pixels)."""
        if clip is None:
            shot = await self.send("Page.captureScreenshot", format="png")
        else:
            shot = await self.send("Page.captureScreenshot", format="png", clip={**clip, "scale": 1})
        return base64.b64decode(shot["data"])

    async def element_box(
        self, selector: str, *, within: float = 30.0, scroll: bool = True
    ) -> dict[str, float]:
        """Where the first element matching `selector` (shadow roots included) is, scrolled into view, once
        it is drawn: x, y, width and height in CSS pixels."""
        found = json.dumps(selector)
        await self.wait_for(f"deepQuery({found})?.getBoundingClientRect().height > 0", within=within)
        box: dict[str, float] = await self.evaluate(
            f"(() => {{ {DEEP_QUERY_JS} const element = deepQuery({found});"
            f" if ({json.dumps(scroll)}) element.scrollIntoView({{block: 'center'}});"
            " const box = element.getBoundingClientRect();"
            " return {x: box.x + window.scrollX, y: box.y + window.scrollY,"
            " width: box.width, height: box.height};"
            " })()"
        )
        return box


async def _first_page(session: aiohttp.ClientSession, port: int) -> str:
    async with session.get(f"http://127.0.0.1:{port}/json/list") as response:
        targets = await response.json()
    pages = [target for target in targets if target.get("type") == "page"]
    if not pages:
        raise BrowserError("Chromium has no page open")
    return str(pages[0]["webSocketDebuggerUrl"])


@contextlib.asynccontextmanager
async def attach(port: int) -> AsyncIterator[Page]:
    """Drive the first page of a Chromium already listening for DevTools on `port`."""
    async with aiohttp.ClientSession() as session:
        socket = await session.ws_connect(await _first_page(session, port), max_msg_size=0)
        page = Page(socket)
        await page.start()
        try:
            yield page
        finally:
            await page.close()


async def _devtools_port(profile: Path, process: asyncio.subprocess.Process) -> int:
    """The port Chromium chose, which it writes into its profile once DevTools listens."""
    marker = profile / "DevToolsActivePort"
    loop = asyncio.get_running_loop()
    deadline = loop.time() + START_SECONDS
    while True:
        if process.returncode is not None:
            raise BrowserError(f"Chromium exited with {process.returncode} while starting")
        with contextlib.suppress(FileNotFoundError, ValueError, IndexError):
            return int(marker.read_text().splitlines()[0])
        if loop.time() > deadline:
            raise BrowserError(f"Chromium did not open DevTools within {START_SECONDS:g} s")
        await asyncio.sleep(0.1)


@contextlib.asynccontextmanager
async def launch(*, width: int = 1400, height: int = 1000) -> AsyncIterator[Page]:
    """Start a headless Chromium with a throw-away profile and drive its page; stopped on exit."""
    chromium = find_chromium()
    if chromium is None:
        raise BrowserError("Chromium is not installed: run scripts/setup (or apt-get install chromium)")
    with tempfile.TemporaryDirectory(prefix="tesla-sync-chromium-", ignore_cleanup_errors=True) as profile:
        process = await asyncio.create_subprocess_exec(
            chromium,
            "--headless",
            # Root in a container or chroot: Chromium's sandbox needs user namespaces it may not get.
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            "--remote-debugging-port=0",
            f"--window-size={width},{height}",
            "about:blank",
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
            # Its own process group: Chromium's helper processes stop with it, before its profile goes.
            start_new_session=True,
        )
        try:
            port = await _devtools_port(Path(profile), process)
            async with attach(port) as page:
                await page.set_viewport(width, height)
                yield page
        finally:
            await _stop_group(process)


async def _stop_group(process: asyncio.subprocess.Process) -> None:
    """Stop Chromium and every helper it started (the process group it leads)."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            await asyncio.wait_for(process.wait(), timeout=10)
            break
        except TimeoutError:
            continue
    # Helpers that outlived the browser itself.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
