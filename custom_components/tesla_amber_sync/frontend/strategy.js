// The Tesla Sync dashboard, built from the entity registry: one view per Powerwall, laid out by layout.json
// (the same description scripts/dashboard turns into the YAML example).
import { resolveLayout } from "./tariff-model.js";

const DOMAIN = "tesla_amber_sync";
const LAYOUT_URL = new URL("./layout.json", import.meta.url);

export function slug(name) {
  return String(name).toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "") || "powerwall";
}

/** The dashboard for `hass` (its `entities` and `devices` registries) from `layout`. */
export function buildDashboard(layout, hass) {
  const ours = Object.values(hass.entities || {}).filter((entry) => entry.platform === DOMAIN);
  const devices = hass.devices || {};
  const views = ours
    .filter((entry) => entry.translation_key === "tariff" && entry.entity_id.startsWith("sensor."))
    .map((tariff) => {
      const powerwall = devices[tariff.device_id];
      const entries = new Set(powerwall?.config_entries || []);
      const amber = Object.values(devices).find(
        (device) => device.id !== tariff.device_id && (device.config_entries || []).some((id) => entries.has(id)),
      );
      const deviceIds = { powerwall: tariff.device_id, amber: amber?.id };
      const lookup = (device, domain, key) =>
        ours.find(
          (entry) =>
            entry.device_id === deviceIds[device] && entry.translation_key === key && entry.entity_id.startsWith(`${domain}.`),
        )?.entity_id;
      const name = powerwall?.name_by_user || powerwall?.name || "Powerwall";
      return { title: name, path: slug(name), ...resolveLayout(layout.view, lookup) };
    })
    .sort((a, b) => a.title.localeCompare(b.title));
  if (views.length === 0) {
    views.push({
      title: layout.title,
      path: "setup",
      cards: [{ type: "markdown", content: "No Tesla Sync entry yet: add one in *Settings → Devices & services*." }],
    });
  }
  return { title: layout.title, views };
}

export class TeslaSyncDashboardStrategy extends HTMLElement {
  static async generate(config, hass) {
    const response = await fetch(LAYOUT_URL);
    return buildDashboard(await response.json(), hass);
  }
}

if (!customElements.get("ll-strategy-dashboard-tesla-sync")) {
  customElements.define("ll-strategy-dashboard-tesla-sync", TeslaSyncDashboardStrategy);
  window.customStrategies = window.customStrategies || [];
  window.customStrategies.push({
    type: "tesla-sync",
    strategyType: "dashboard",
    name: "Tesla Sync",
    description: "The tariff on each Powerwall, prices, power, energy and overrides, built from your entities.",
  });
}
