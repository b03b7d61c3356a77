"""Repository-level guarantees: the pure packages stay pure, and the metadata stays consistent."""

from __future__ import annotations

import ast
import json
from pathlib import Path
import re

import hass_frontend
from PIL import Image
import pytest
import yaml

from custom_components.tesla_amber_sync.api import INTEGRATION_VERSION

from .snapshot_entities import snapshot_entity_ids

ROOT = Path(__file__).parent.parent
PACKAGE = ROOT / "custom_components" / "tesla_amber_sync"
PURE_PACKAGES = ("api", "tariff", "control")


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    modules: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            # Relative imports: ".." from a pure package reaches the glue, "." stays inside.
            modules.add("." * node.level + (node.module or ""))
    return modules


@pytest.mark.parametrize("package", PURE_PACKAGES)
def test_pure_packages_import_no_home_assistant_and_no_glue(package: str) -> None:
    """The pure core imports neither Home Assistant nor the glue around it."""
    files = sorted((PACKAGE / package).rglob("*.py"))
    assert files
    for path in files:
        for module in _imported_modules(path):
            assert not module.startswith("homeassistant"), f"{path} imports {module}"
            if module.startswith("..") and not module.startswith("..."):
                # One level up is the glue package; only the sibling pure packages may be reached.
                assert module[2:].split(".")[0] in PURE_PACKAGES, f"{path} imports glue module {module}"


def test_manifest_and_hacs_metadata() -> None:
    """Keys in Home Assistant's order, the version in step with the code, HACS pinned to the tested HA."""
    manifest_text = (PACKAGE / "manifest.json").read_text()
    manifest = json.loads(manifest_text)
    keys = list(manifest)
    assert keys[:2] == ["domain", "name"]
    assert keys[2:] == sorted(keys[2:])
    assert manifest["domain"] == "tesla_amber_sync"
    assert manifest["name"] == "Tesla Sync"
    assert manifest["integration_type"] == "hub"
    assert manifest["iot_class"] == "cloud_polling"
    assert manifest["version"] == INTEGRATION_VERSION
    hacs = json.loads((ROOT / "hacs.json").read_text())
    pinned = {
        line.split("==")[0]: line.split("==")[1]
        for line in (ROOT / "requirements_test.txt").read_text().splitlines()
        if "==" in line and not line.startswith("#")
    }
    assert hacs["homeassistant"] == pinned["homeassistant"]
    assert hacs["country"] == "AU"
    assert hacs["render_readme"] is True


def test_translations_match_strings() -> None:
    """translations/en.json is strings.json, so what the owner reads is what we wrote."""
    strings = json.loads((PACKAGE / "strings.json").read_text())
    english = json.loads((PACKAGE / "translations" / "en.json").read_text())
    assert english == strings


def test_dashboard_uses_built_in_cards_our_card_and_real_entities() -> None:
    """The YAML example names entities the integration creates, with Home Assistant's cards and ours."""
    dashboard = yaml.safe_load((ROOT / "dashboards" / "tesla_sync.yaml").read_text())
    built_in = {
        "vertical-stack",
        "grid",
        "heading",
        "tile",
        "entities",
        "energy-distribution",
        "custom:tesla-sync-tariff-card",
    }
    named: set[str] = set()

    def walk(card: dict[str, object]) -> None:
        assert card["type"] in built_in, card["type"]
        for child in card.get("cards", []):  # type: ignore[attr-defined]
            walk(child)
        for entity in card.get("entities", []):  # type: ignore[attr-defined]
            if isinstance(entity, str) or "entity" in entity:
                named.add(entity if isinstance(entity, str) else entity["entity"])
        if "entity" in card:
            named.add(str(card["entity"]))

    for view in dashboard["views"]:
        for card in view["cards"]:
            walk(card)
    assert named
    assert named <= snapshot_entity_ids()


def test_dashboard_example_is_generated_from_the_layout() -> None:
    """dashboards/tesla_sync.yaml is exactly what the layout the strategy uses produces: they cannot drift."""
    from simulator import dashboard

    assert (ROOT / "dashboards" / "tesla_sync.yaml").read_text() == dashboard.render()
    assert dashboard.main(["--check"]) == 0


# Entities whose device class draws a better icon than a fixed one (the battery level's fills with charge).
DEVICE_CLASS_ICONS = {"battery_level", "energy_left", "total_pack_energy"}


def _frontend_icon_names() -> set[str]:
    """Every Material Design icon the installed Home Assistant frontend can draw."""
    names: set[str] = set()
    for path in (Path(hass_frontend.where()) / "static" / "mdi").glob("*.json"):
        data = json.loads(path.read_text())
        if isinstance(data, dict):
            names.update(data)
    return names


def test_icons_exist_for_every_entity_state_and_service() -> None:
    """icons.json names only icons the frontend has, one per entity (where the device class does not
    draw one), per state where it helps, and per service."""
    icons = json.loads((PACKAGE / "icons.json").read_text())
    strings = json.loads((PACKAGE / "strings.json").read_text())
    services = yaml.safe_load((PACKAGE / "services.yaml").read_text())
    known = _frontend_icon_names()
    used = re.findall(r'"mdi:([a-z0-9-]+)"', (PACKAGE / "icons.json").read_text())
    assert used
    assert set(used) <= known, set(used) - known
    assert set(icons["services"]) == set(services)
    for platform, entities in strings["entity"].items():
        assert set(icons["entity"][platform]) == set(entities) - DEVICE_CLASS_ICONS, platform
        for key, entity_icons in icons["entity"][platform].items():
            states = set(entities[key].get("state", {})) or {"on", "off"}
            assert set(entity_icons.get("state", {})) <= states, key
    # Every sync status, including those the writer is about to gain, has its own icon and name.
    sync_status = icons["entity"]["sensor"]["sync_status"]["state"]
    assert set(sync_status) == set(strings["entity"]["sensor"]["sync_status"]["state"])
    assert {"stale", "upstream_unavailable", "overridden", "not_in_time_based_control"} <= set(sync_status)


@pytest.mark.parametrize("variant", ["", "dark_"])
def test_brand_images(variant: str) -> None:
    """The brand images Home Assistant (2026.3+) and HACS read from the integration: square icons of
    256 and 512 px, landscape logos whose shorter side is 256 and 512 px, all on a transparent background;
    dark_ ones for dark themes, where the light ones' dark ink does not read."""
    brand = PACKAGE / "brand"
    sizes = {}
    for name in ("icon", "icon@2x", "logo", "logo@2x"):
        with Image.open(brand / f"{variant}{name}.png") as image:
            assert image.format == "PNG"
            assert image.mode == "RGBA"
            alpha = image.getchannel("A")
            # Transparent around the drawing, and trimmed to it: every edge touches the drawing.
            assert alpha.getextrema() == (0, 255)
            assert alpha.getbbox() == (0, 0, image.width, image.height) or name.startswith("icon")
            sizes[name] = image.size
    assert sizes["icon"] == (256, 256)
    assert sizes["icon@2x"] == (512, 512)
    assert sizes["logo"][1] == 256 < sizes["logo"][0]
    assert sizes["logo@2x"][1] == 512 < sizes["logo@2x"][0]
    assert abs(sizes["logo@2x"][0] - 2 * sizes["logo"][0]) <= 2


# Every rule of Home Assistant's quality scale, as hassfest of the pinned Home Assistant lists them.
QUALITY_SCALE_RULES = {
    "action-setup", "appropriate-polling", "brands", "common-modules", "config-flow",
    "config-flow-test-coverage", "dependency-transparency", "docs-actions", "docs-conditions",
    "docs-high-level-description", "docs-installation-instructions", "docs-removal-instructions",
    "docs-triggers", "entity-event-setup", "entity-unique-id", "has-entity-name", "runtime-data",
    "test-before-configure", "test-before-setup", "unique-config-entry",
    "action-exceptions", "config-entry-unloading", "docs-configuration-parameters",
    "docs-installation-parameters", "entity-unavailable", "integration-owner", "log-when-unavailable",
    "parallel-updates", "reauthentication-flow", "test-coverage",
    "devices", "diagnostics", "discovery", "discovery-update-info", "docs-data-update", "docs-examples",
    "docs-known-limitations", "docs-supported-devices", "docs-supported-functions", "docs-troubleshooting",
    "docs-use-cases", "dynamic-devices", "entity-category", "entity-device-class",
    "entity-disabled-by-default", "entity-translations", "exception-translations", "icon-translations",
    "reconfiguration-flow", "repair-issues", "stale-devices",
    "async-dependency", "inject-websession", "strict-typing",
}  # fmt: skip


def test_quality_scale_has_every_rule_done_or_exempt() -> None:
    """Nothing left to do: every rule is done or exempt, each with a one-line reason."""
    rules = yaml.safe_load((PACKAGE / "quality_scale.yaml").read_text())["rules"]
    assert set(rules) == QUALITY_SCALE_RULES
    for name, rule in rules.items():
        assert rule["status"] in {"done", "exempt"}, name
        assert rule["comment"].strip(), name
        assert "\n" not in rule["comment"].strip(), name
