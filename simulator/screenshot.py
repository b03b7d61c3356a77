"""Take a PNG of a Home Assistant dashboard started by scripts/develop, signed in as the dev user.

Usage: scripts/run python -m simulator.screenshot [--path /tesla-sync/home-powerwall]
           [--out docs/dashboard.png] [--element 'ha-card[data-view="history"]']
It drives a headless Chromium (Debian package `chromium`, which scripts/setup installs where the project's
Python runs) over the DevTools protocol, logging in through Home Assistant's own login page. `--attach PORT`
uses a Chromium already listening for DevTools on PORT instead. `--element SELECTOR` takes only the first
element matching SELECTOR (shadow roots included), with a margin, once it is drawn.

The docs/ images come from a `scripts/develop --speed 20` that has run for half an hour or more, so the
history view has statistics to draw:
  python -m simulator.screenshot --out docs/dashboard.png
  python -m simulator.screenshot --element 'ha-card[data-view="forecast"]' --out docs/tariff.png
  python -m simulator.screenshot --element 'ha-card[data-view="history"]' --out docs/history.png
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
from pathlib import Path

from .browser import Page, attach, launch
from .devhome import HASS_PORT
from .homesetup import Owner

# Home Assistant's page once the frontend has its connection (after logging in).
STRATEGY_DEFINED_JS = "customElements.get('ll-strategy-dashboard-tesla-sync') !== undefined"
CONNECTED_JS = "document.querySelector('home-assistant')?.hass?.connected === true"


async def log_in(page: Page, hass_url: str, owner: Owner) -> None:
    """Log in through Home Assistant's login page, as a person does, and wait for the frontend."""
    await page.navigate(f"{hass_url}/")
    await page.type_into("input[name=username]", owner.username)
    await page.type_into("input[name=password]", owner.password)
    await page.press_enter()
    await page.wait_for(CONNECTED_JS, within=60)
    # The frontend loads the integration's module beside its own start; a dashboard opened before the module
    # has defined its strategy waits 5 s for it, then shows an error (a person clicks later than a script).
    await page.wait_for(STRATEGY_DEFINED_JS, within=60)


async def open_panel(page: Page, path: str) -> None:
    """Go to `path` inside the running frontend, as its own links do (no reload)."""
    await page.evaluate(
        f"history.pushState(null, '', {json.dumps(path)});"
        "window.dispatchEvent(new CustomEvent('location-changed'))"
    )


MARGIN = 4.0


async def capture(
    hass_url: str,
    path: str,
    *,
    width: int,
    height: int,
    settle: float,
    attach_port: int | None,
    element: str | None = None,
) -> bytes:
    """Log in, open `path` and return a PNG of it (or of its first `element`)."""
    async with contextlib.AsyncExitStack() as stack:
        page = await stack.enter_async_context(
            attach(attach_port) if attach_port else launch(width=width, height=height)
        )
        await page.set_viewport(width, height)
        await log_in(page, hass_url, Owner())
        await open_panel(page, path)
        if element is None:
            await asyncio.sleep(settle)
            return await page.screenshot()
        await page.element_box(element, within=60)
        await asyncio.sleep(settle)
        box = await page.element_box(element, scroll=False)
        clip = {
            "x": max(box["x"] - MARGIN, 0.0),
            "y": max(box["y"] - MARGIN, 0.0),
            "width": box["width"] + 2 * MARGIN,
            "height": box["height"] + 2 * MARGIN,
        }
        return await page.screenshot(clip)


def main() -> None:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", default=f"http://127.0.0.1:{HASS_PORT}", help="Home Assistant's address")
    parser.add_argument("--path", default="/tesla-sync/home-powerwall")
    parser.add_argument("--out", type=Path, default=Path("docs/dashboard.png"))
    parser.add_argument("--width", type=int, default=1400)
    parser.add_argument("--height", type=int, default=1000)
    parser.add_argument("--settle", type=float, default=8.0, help="seconds to let the page render")
    parser.add_argument("--element", metavar="SELECTOR", help="only this element (shadow roots included)")
    parser.add_argument("--attach", type=int, metavar="PORT", help="use a Chromium already on this port")
    args = parser.parse_args()
    png = asyncio.run(
        capture(
            args.url,
            args.path,
            width=args.width,
            height=args.height,
            settle=args.settle,
            attach_port=args.attach,
            element=args.element,
        )
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(png)


if __name__ == "__main__":
    main()
