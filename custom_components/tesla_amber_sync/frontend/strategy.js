// The Tesla Sync dashboard, built from the entity registry: one view per Powerwall, laid out by layout.json
// (the same description scripts/dashboard turns into the YAML example).
import { resolveLayout } from "./tariff-model.js";

const DOMAIN = "tesla_amber_sync";
const LAYOUT_URL = new URL("./layout.json", import.meta.url);

export function slug(name) {
  return String(name).toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "") || "powerwall";
}

/**
 * The dashboard for `hass` (its `entities` and `devices` registries) from `layout`; `features` holds "energy"
 * when the Energy dashboard is set up (the energy-distribution card needs it).
 */
export function buildDashboard(layout, hass, features = new Set()) {
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
      return { title: name, path: slug(name), ...resolveLayout(layout.view, lookup, features) };
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

/** Whether the owner has set up the Energy dashboard (it has a source); Home Assistant says not_found if never. */
export async function energyConfigured(hass) {
  try {
    const prefs = await hass.callWS({ type: "energy/get_prefs" });
    return (prefs?.energy_sources || []).length > 0;
  } catch (err) {
    return false;
  }
}

export class TeslaSyncDashboardStrategy extends HTMLElement {
  static async generate(config, hass) {
    const [layout, energy] = await Promise.all([fetch(LAYOUT_URL).then((response) => response.json()), energyConfigured(hass)]);
    return buildDashboard(layout, hass, new Set(energy ? ["energy"] : []));
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
