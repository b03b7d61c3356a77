"""The integration serves its card and dashboard strategy itself, under a URL that changes with the files."""

from __future__ import annotations

from unittest.mock import patch

from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.tesla_amber_sync.const import DOMAIN
from custom_components.tesla_amber_sync.frontend_assets import (
    ENTRY_MODULE,
    FRONTEND_FOLDER,
    async_register_frontend,
    content_version,
)


async def test_served_and_loaded_by_the_frontend(
    hass: HomeAssistant, hass_client: ClientSessionGenerator
) -> None:
    assert await async_setup_component(hass, "http", {})
    hass.config.components.add("frontend")
    with patch("custom_components.tesla_amber_sync.frontend_assets.add_extra_js_url") as add:
        url = await async_register_frontend(hass)
    assert url == f"/{DOMAIN}/frontend/{content_version()}"
    add.assert_called_once_with(hass, f"{url}/{ENTRY_MODULE}")
    client = await hass_client()
    response = await client.get(f"{url}/{ENTRY_MODULE}")
    assert response.status == 200
    assert "tariff-card.js" in await response.text()
    layout = await client.get(f"{url}/layout.json")
    assert (await layout.json())["title"] == "Tesla Sync"


async def test_nothing_without_a_frontend(hass: HomeAssistant) -> None:
    assert await async_register_frontend(hass) is None


def test_version_follows_the_content(tmp_path: object) -> None:
    from pathlib import Path

    folder = Path(str(tmp_path))
    (folder / "a.js").write_text("one")
    first = content_version(folder)
    (folder / "a.js").write_text("two")
    assert content_version(folder) != first
    assert len(content_version(FRONTEND_FOLDER)) == 12
