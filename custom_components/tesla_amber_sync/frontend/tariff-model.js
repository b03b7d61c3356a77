// Pure helpers of the tariff card and the dashboard strategy: no DOM, no Home Assistant, tested in a browser.

export const SLOT_MINUTES = 30;
const SLOT_MS = SLOT_MINUTES * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

// Where a slot's price came from, in the owner's words, with the colour it is drawn in.
export const SOURCES = {
  forecast: { label: "Amber forecast", colour: "var(--tesla-sync-forecast, #2e7d32)" },
  fallback: { label: "Fallback (day before)", colour: "var(--tesla-sync-fallback, #9e9e9e)" },
  spike: { label: "Spike", colour: "var(--tesla-sync-spike, #d32f2f)" },
  custom: { label: "Custom schedule", colour: "var(--tesla-sync-custom, #7b1fa2)" },
  profile: { label: "Profile", colour: "var(--tesla-sync-profile, #1565c0)" },
  command: { label: "Battery command", colour: "var(--tesla-sync-command, #ef6c00)" },
  owner: { label: "Your own tariff", colour: "var(--tesla-sync-owner, #5d4037)" },
  amber: { label: "Amber", colour: "var(--tesla-sync-forecast, #2e7d32)" },
};

export function sourceOf(name) {
  return SOURCES[name] || { label: String(name), colour: "var(--secondary-text-color, #757575)" };
}

// "2026-11-30T14:30:00+11:00" -> "14:30": the site's own wall clock, whatever the browser's time zone.
export function wallClock(start) {
  return String(start).slice(11, 16);
}

/**
 * The next 24 hours from `now`, slot by slot: what the Powerwall holds (`slots`) beside Amber's freshest
 * build for the same half-hour (`amber_build`), matched by wall-clock time. Each slot's start is moved by
 * whole days into [now - 30 min, now + 23.5 h), so attributes written before a half-hour turned still
 * line up; the first slot is the one in progress.
 */
export function chartSlots(attributes, now) {
  const held = Array.isArray(attributes?.slots) ? attributes.slots : [];
  const fresh = new Map();
  for (const slot of Array.isArray(attributes?.amber_build) ? attributes.amber_build : []) {
    fresh.set(wallClock(slot.start), slot);
  }
  const nowMs = now.getTime();
  // The slot in progress starts in (now - 30 min, now]; every other one within the next 23.5 hours.
  const base = nowMs - SLOT_MS;
  const slots = held.map((slot) => {
    let offset = (((Date.parse(slot.start) - base) % DAY_MS) + DAY_MS) % DAY_MS;
    if (offset === 0) offset = DAY_MS;
    const startMs = base + offset;
    const amber = fresh.get(wallClock(slot.start));
    return {
      start: slot.start,
      startMs,
      time: wallClock(slot.start),
      buy: Number(slot.buy),
      sell: Number(slot.sell),
      source: String(slot.source),
      demand: slot.demand === undefined ? null : Number(slot.demand),
      forecastBuy: amber ? Number(amber.buy) : null,
      forecastSell: amber ? Number(amber.sell) : null,
    };
  });
  slots.sort((a, b) => a.startMs - b.startMs);
  slots.forEach((slot) => {
    slot.current = slot.startMs <= nowMs && nowMs < slot.startMs + SLOT_MS;
  });
  return slots;
}

/** Round numbers for a price axis from `low` to `high` (c/kWh): about `count` steps of 1, 2 or 5 x 10^n. */
export function priceScale(low, high, count = 4) {
  const bottom = Math.min(0, low);
  const top = Math.max(high, bottom + 1);
  const raw = (top - bottom) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((candidate) => candidate >= raw);
  const min = Math.floor(bottom / step) * step;
  const max = Math.ceil(top / step) * step;
  const ticks = [];
  for (let tick = min; tick <= max + step / 2; tick += step) ticks.push(Number(tick.toFixed(6)));
  return { min, max, step, ticks };
}

/** $/kWh as c/kWh for people: "23.45". */
export function cents(dollars) {
  return (Number(dollars) * 100).toFixed(2);
}

const REFERENCE = /^(powerwall|amber):([a-z_]+)\.([a-z0-9_]+)$/;

/**
 * The dashboard layout with every "powerwall:<domain>.<key>" / "amber:<domain>.<key>" reference replaced by
 * `lookup(device, domain, key)` (an entity id, or undefined). A card or entity row whose entity is missing is
 * left out, and so is a stack or grid left with no cards. A card with `"requires": "<feature>"` is kept
 * (without that key) only when `features` has the feature ("energy": the Energy dashboard is set up).
 * Shared by the strategy and the YAML generator.
 */
export function resolveLayout(node, lookup, features = new Set()) {
  if (Array.isArray(node)) {
    return node.map((item) => resolveLayout(item, lookup, features)).filter((item) => item !== undefined);
  }
  if (node && typeof node === "object") {
    if (node.requires !== undefined && !features.has(node.requires)) return undefined;
    const result = {};
    for (const [key, value] of Object.entries(node)) {
      if (key === "requires") continue;
      const resolved = resolveLayout(value, lookup, features);
      if (resolved === undefined) return undefined;
      result[key] = resolved;
    }
    if (Array.isArray(result.cards) && result.cards.length === 0) return undefined;
    if (Array.isArray(node.cards) && result.cards.every((card) => card.type === "heading")) return undefined;
    return result;
  }
  if (typeof node === "string") {
    const match = REFERENCE.exec(node);
    if (match) return lookup(match[1], match[2], match[3]);
  }
  return node;
}
