"""Render the brand images in custom_components/tesla_amber_sync/brand/ from artwork/*.svg.

Usage: scripts/brand (or scripts/run python -m simulator.brand). A development-time tool: the PNGs it writes
are committed. It draws each SVG with the headless Chromium the browser test uses (so nothing else needs
installing), on a transparent background, then trims the logo to its drawing with Pillow.

The artwork's ink is `currentColor`: dark ink for the light images, light ink for the dark_ ones, which
Home Assistant shows on a dark background. The battery's charge and the price line read on both.
"""

from __future__ import annotations

import asyncio
import base64
from dataclasses import dataclass
import io
from pathlib import Path
from typing import Final

from PIL import Image

from .browser import Page, launch

REPO: Final = Path(__file__).resolve().parents[1]
ARTWORK: Final = REPO / "artwork"
BRAND: Final = REPO / "custom_components" / "tesla_amber_sync" / "brand"
INK: Final = {"": "#1f2a37", "dark_": "#eef2f6"}
# Home Assistant's brand sizes: a square icon, and a logo whose shorter side is 128-256 px (twice @2x).
ICON_SIZE: Final = 256
LOGO_HEIGHT: Final = 256


@dataclass(frozen=True, kw_only=True, slots=True)
class Artwork:
    """One SVG drawn at one size."""

    source: str
    width: int
    height: int
    trim: bool


ARTWORKS: Final = {
    "icon": Artwork(source="icon.svg", width=ICON_SIZE, height=ICON_SIZE, trim=False),
    # Drawn larger than needed and trimmed, so the name's width never depends on guesswork.
    "logo": Artwork(source="logo.svg", width=LOGO_HEIGHT * 980 // 256, height=LOGO_HEIGHT, trim=True),
}


def _page(svg: str, *, width: int, height: int, ink: str) -> str:
    """A page showing `svg` at `width` x `height` CSS pixels with the given ink, on nothing."""
    sized = svg.replace("<svg ", f'<svg width="{width}" height="{height}" ', 1)
    return (
        "<!doctype html><html><body style='margin:0;background:transparent'>"
        f"<div style='color:{ink};line-height:0'>{sized}</div></body></html>"
    )


async def _draw(page: Page, artwork: Artwork, *, scale: int, ink: str) -> Image.Image:
    width, height = artwork.width * scale, artwork.height * scale
    svg = (ARTWORK / artwork.source).read_text()
    await page.set_viewport(width, height)
    await page.send("Emulation.setDefaultBackgroundColorOverride", color={"r": 0, "g": 0, "b": 0, "a": 0})
    html = _page(svg, width=width, height=height, ink=ink)
    await page.navigate("data:text/html;base64," + base64.b64encode(html.encode()).decode())
    await page.wait_for("document.readyState === 'complete' && document.fonts.status === 'loaded'")
    image = Image.open(io.BytesIO(await page.screenshot())).convert("RGBA")
    if artwork.trim:
        bbox = image.getchannel("A").getbbox()
        if bbox is None:
            raise RuntimeError(f"{artwork.source} drew nothing")
        # Trimmed to the drawing, then scaled so the shorter side is exactly the brand size again.
        image = image.crop(bbox)
        target_height = artwork.height * scale
        image = image.resize(
            (round(image.width * target_height / image.height), target_height), Image.Resampling.LANCZOS
        )
    return image


async def render() -> list[Path]:
    """Draw every image in both variants at 1x and 2x; returns the files written."""
    BRAND.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    async with launch(width=ICON_SIZE, height=ICON_SIZE) as page:
        for name, artwork in ARTWORKS.items():
            for prefix, ink in INK.items():
                for scale, suffix in ((1, ""), (2, "@2x")):
                    image = await _draw(page, artwork, scale=scale, ink=ink)
                    path = BRAND / f"{prefix}{name}{suffix}.png"
                    image.save(path, optimize=True)
                    written.append(path)
    return written


def main() -> None:
    """Command line."""
    for path in asyncio.run(render()):
        with Image.open(path) as image:
            print(f"{path.relative_to(REPO)}: {image.width}x{image.height}")  # noqa: T201


if __name__ == "__main__":
    main()
