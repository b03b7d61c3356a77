"""Serve the tariff card and the dashboard strategy from the integration folder, so an owner installs nothing.

The folder is served under a URL carrying a hash of its content: a browser fetches the files again after an
update, and the modules' relative imports carry the same version.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Final

from homeassistant.components.frontend import add_extra_js_url
from homeassistant.components.http.server import StaticPathConfig
from homeassistant.core import HomeAssistant

from .const import DOMAIN, LOGGER

FRONTEND_FOLDER: Final = Path(__file__).parent / "frontend"
# The module the frontend loads on every page: it defines the card, its editor and the dashboard strategy.
ENTRY_MODULE: Final = "tesla-sync.js"


def content_version(folder: Path = FRONTEND_FOLDER) -> str:
    """A short hash of every file the folder serves (blocking: run it in the executor)."""
    digest = hashlib.sha256()
    for path in sorted(folder.iterdir()):
        if path.is_file():
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


async def async_register_frontend(hass: HomeAssistant) -> str | None:
    """Serve the folder and have the frontend load the entry module; returns the folder's URL.

    Without the frontend (a headless install) there is nothing to show the card in, and nothing is done.
    """
    if "frontend" not in hass.config.components:
        LOGGER.debug("No frontend: the tariff card and the dashboard strategy are not served")
        return None
    version = await hass.async_add_executor_job(content_version)
    url = f"/{DOMAIN}/frontend/{version}"
    await hass.http.async_register_static_paths(
        [StaticPathConfig(url, str(FRONTEND_FOLDER), cache_headers=True)]
    )
    add_extra_js_url(hass, f"{url}/{ENTRY_MODULE}")
    return url
