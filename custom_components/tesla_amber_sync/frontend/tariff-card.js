// <tesla-sync-tariff-card>: the next 24 hours as the Powerwall holds them, or what happened in the last 24.
import { SOURCES, cents, chartSlots, priceScale, sourceOf } from "./tariff-model.js";

const DOMAIN = "tesla_amber_sync";
const VIEWS = ["forecast", "history"];
const WIDTH = 720;
const HEIGHT = 240;
const MARGIN = { left: 46, right: 10, top: 16, bottom: 24 };
const HISTORY_REFRESH_MS = 5 * 60 * 1000;
const STATISTICS_PERIOD_MS = 5 * 60 * 1000;
const SVG = "http://www.w3.org/2000/svg";

const STYLE = `
  ha-card { padding: 12px 16px 16px; color: var(--primary-text-color); }
  .header { display: flex; flex-wrap: wrap; justify-content: space-between; align-items: baseline; gap: 4px 16px; }
  .title { font-size: var(--ha-card-header-font-size, 20px); font-weight: 500; }
  .now { color: var(--secondary-text-color); font-size: 14px; }
  .now b { color: var(--primary-text-color); }
  svg { width: 100%; height: auto; display: block; margin-top: 8px; overflow: visible; touch-action: pan-y; }
  .axis text, .label { fill: var(--secondary-text-color); font-size: 11px; }
  .grid-line { stroke: var(--divider-color, rgba(127,127,127,.3)); stroke-width: 1; }
  .zero-line { stroke: var(--secondary-text-color); stroke-width: 1; opacity: .6; }
  .slot .buy { opacity: .85; }
  .slot:hover .buy, .slot.active .buy { opacity: 1; }
  .slot .sell { stroke: var(--primary-text-color); stroke-width: 2; }
  .slot .hit { fill: transparent; }
  .demand { fill: var(--warning-color, #ffa600); opacity: .15; }
  .now-marker { fill: none; stroke: var(--primary-color, #03a9f4); stroke-width: 2; }
  .now-label { fill: var(--primary-color, #03a9f4); font-size: 11px; font-weight: 600; }
  .forecast { fill: none; stroke: var(--accent-color, #ff9800); stroke-width: 2; stroke-linejoin: round; }
  .forecast-sell { fill: none; stroke: var(--accent-color, #ff9800); stroke-width: 1.5; stroke-dasharray: 4 3; }
  .history-price { fill: none; stroke: var(--primary-color, #03a9f4); stroke-width: 2; }
  .history-battery.charge { fill: var(--energy-battery-in-color, #f06292); }
  .history-battery.discharge { fill: var(--energy-battery-out-color, #4db6ac); }
  .history-price.dot { fill: var(--primary-color, #03a9f4); stroke: none; }
  .history-grid.dot { fill: var(--energy-grid-consumption-color, #488fc2); stroke: none; }
  .history-grid { fill: none; stroke: var(--energy-grid-consumption-color, #488fc2); stroke-width: 1.5; }
  .legend { display: flex; flex-wrap: wrap; gap: 4px 14px; margin-top: 8px; font-size: 12px; color: var(--secondary-text-color); }
  .legend span::before { content: ""; display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 4px; background: var(--swatch); vertical-align: -1px; }
  .legend .line::before { height: 3px; vertical-align: 3px; }
  .tooltip { position: absolute; pointer-events: none; background: var(--card-background-color, #fff); color: var(--primary-text-color);
    border: 1px solid var(--divider-color, #ccc); border-radius: 6px; padding: 6px 8px; font-size: 12px; line-height: 1.4;
    box-shadow: var(--ha-card-box-shadow, 0 2px 6px rgba(0,0,0,.2)); white-space: nowrap; z-index: 1; }
  .tooltip[hidden] { display: none; }
  .chart { position: relative; }
  .empty { color: var(--secondary-text-color); padding: 24px 0; }
  .error { color: var(--error-color, #db4437); }
`;

function svg(tag, attributes = {}, text) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  if (text !== undefined) element.textContent = text;
  return element;
}

/** The tariff sensors of every Tesla Sync entry, with their Powerwall's name. */
export function tariffSensors(hass) {
  return Object.values(hass?.entities || {})
    .filter((entry) => entry.platform === DOMAIN && entry.translation_key === "tariff" && entry.entity_id.startsWith("sensor."))
    .map((entry) => ({ entityId: entry.entity_id, name: hass.devices?.[entry.device_id]?.name_by_user || hass.devices?.[entry.device_id]?.name || entry.entity_id }));
}

/** A sibling entity on the same Powerwall device, by translation key. */
function sibling(hass, entityId, key) {
  const own = hass.entities?.[entityId];
  if (!own) return undefined;
  return Object.values(hass.entities).find(
    (entry) => entry.platform === DOMAIN && entry.device_id === own.device_id && entry.translation_key === key,
  )?.entity_id;
}

export class TeslaSyncTariffCard extends HTMLElement {
  static getConfigElement() {
    return document.createElement("tesla-sync-tariff-card-editor");
  }

  static getStubConfig(hass) {
    const first = tariffSensors(hass)[0];
    return { entity: first ? first.entityId : "sensor.home_powerwall_tariff" };
  }

  setConfig(config) {
    if (!config || typeof config.entity !== "string" || !config.entity.startsWith("sensor.")) {
      throw new Error("Choose the tariff sensor of a Tesla Sync entry (entity: sensor.<site>_tariff)");
    }
    if (config.view !== undefined && !VIEWS.includes(config.view)) {
      throw new Error(`view must be one of ${VIEWS.join(", ")}`);
    }
    this._config = { view: "forecast", ...config };
    this._stateObj = undefined;
    this._history = undefined;
    this._historyAt = 0;
    this._render();
  }

  set hass(hass) {
    this._hass = hass;
    if (!this._config) return;
    const stateObj = hass.states[this._config.entity];
    const dark = Boolean(hass.themes?.darkMode);
    // Re-render only when what the card reads changed (Home Assistant sets hass on every state change).
    if (stateObj === this._stateObj && dark === this._dark && !this._historyDue()) return;
    this._stateObj = stateObj;
    this._dark = dark;
    this._render();
  }

  get hass() {
    return this._hass;
  }

  getCardSize() {
    return 6;
  }

  getGridOptions() {
    return { columns: 12, min_columns: 6, rows: 6 };
  }

  connectedCallback() {
    // The slot in progress moves on with the clock, also when no state changes.
    this._timer = setInterval(() => this._render(), 60 * 1000);
  }

  disconnectedCallback() {
    clearInterval(this._timer);
  }

  _historyDue() {
    return this._config?.view === "history" && Date.now() - this._historyAt > HISTORY_REFRESH_MS;
  }

  _shell() {
    if (!this.shadowRoot) {
      this.attachShadow({ mode: "open" });
      const style = document.createElement("style");
      style.textContent = STYLE;
      this._card = document.createElement("ha-card");
      this.shadowRoot.append(style, this._card);
    }
    return this._card;
  }

  _render() {
    if (!this._config) return;
    const card = this._shell();
    card.replaceChildren();
    card.dataset.view = this._config.view;
    if (this._config.view === "history") {
      this._renderHistory(card);
    } else {
      this._renderForecast(card);
    }
  }

  _header(card, title, detail) {
    const header = document.createElement("div");
    header.className = "header";
    const name = document.createElement("div");
    name.className = "title";
    name.textContent = this._config.title || title;
    header.append(name);
    if (detail) header.append(detail);
    card.append(header);
  }

  _message(card, text, className = "empty") {
    const message = document.createElement("div");
    message.className = className;
    message.textContent = text;
    card.append(message);
  }

  _renderForecast(card) {
    const stateObj = this._stateObj;
    if (!stateObj) {
      this._header(card, "Tariff on the Powerwall");
      this._message(card, `Entity not available: ${this._config.entity}`, "error");
      return;
    }
    const slots = chartSlots(stateObj.attributes, new Date());
    const current = slots.find((slot) => slot.current);
    const now = document.createElement("div");
    now.className = "now";
    if (current) {
      now.innerHTML = "Now <b></b> buy · <b></b> sell · ";
      const [buy, sell] = now.querySelectorAll("b");
      buy.textContent = `${cents(current.buy)} c/kWh`;
      sell.textContent = `${cents(current.sell)} c/kWh`;
      now.append(sourceOf(current.source).label);
    }
    this._header(card, "Tariff on the Powerwall, next 24 hours", now);
    if (slots.length === 0) {
      this._message(card, "The Powerwall holds no tariff yet.");
      return;
    }
    const chart = document.createElement("div");
    chart.className = "chart";
    const drawing = this._drawForecast(slots);
    const tooltip = document.createElement("div");
    tooltip.className = "tooltip";
    tooltip.hidden = true;
    chart.append(drawing, tooltip);
    card.append(chart, this._legend(slots));
    this._wireTooltip(chart, drawing, tooltip, slots);
  }

  _drawForecast(slots) {
    const values = slots.flatMap((slot) => [slot.buy, slot.sell, slot.forecastBuy ?? 0, slot.forecastSell ?? 0]);
    const scale = priceScale(Math.min(...values) * 100, Math.max(...values) * 100);
    const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
    const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
    const slotWidth = plotWidth / slots.length;
    const y = (dollars) => MARGIN.top + plotHeight * (1 - (dollars * 100 - scale.min) / (scale.max - scale.min));
    const x = (index) => MARGIN.left + index * slotWidth;
    const root = svg("svg", { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: "img", "aria-label": "Tariff for the next 24 hours", class: "forecast-chart" });

    const axis = svg("g", { class: "axis" });
    for (const tick of scale.ticks) {
      const ty = MARGIN.top + plotHeight * (1 - (tick - scale.min) / (scale.max - scale.min));
      axis.append(svg("line", { class: tick === 0 ? "zero-line" : "grid-line", x1: MARGIN.left, x2: WIDTH - MARGIN.right, y1: ty, y2: ty }));
      axis.append(svg("text", { x: MARGIN.left - 6, y: ty + 4, "text-anchor": "end", class: "tick" }, String(tick)));
    }
    axis.append(svg("text", { x: 2, y: 10, class: "unit" }, "c/kWh"));
    slots.forEach((slot, index) => {
      if (index % 6 === 0) {
        axis.append(svg("text", { x: x(index) + slotWidth / 2, y: HEIGHT - 6, "text-anchor": "middle" }, slot.time));
      }
    });
    root.append(axis);

    slots.forEach((slot, index) => {
      if (slot.demand) {
        root.append(svg("rect", { class: "demand", x: x(index), y: MARGIN.top, width: slotWidth, height: plotHeight, "data-demand": slot.demand }));
      }
    });

    const zeroY = y(0);
    slots.forEach((slot, index) => {
      const group = svg("g", {
        class: `slot${slot.current ? " current" : ""}`,
        "data-index": index,
        "data-start": slot.start,
        "data-buy": slot.buy,
        "data-sell": slot.sell,
        "data-source": slot.source,
      });
      const top = Math.min(y(slot.buy), zeroY);
      group.append(svg("rect", { class: "buy", x: x(index) + 1, y: top, width: Math.max(slotWidth - 2, 1), height: Math.max(Math.abs(zeroY - y(slot.buy)), 1), fill: sourceOf(slot.source).colour }));
      group.append(svg("line", { class: "sell", x1: x(index) + 1, x2: x(index) + slotWidth - 1, y1: y(slot.sell), y2: y(slot.sell) }));
      group.append(svg("rect", { class: "hit", x: x(index), y: MARGIN.top, width: slotWidth, height: plotHeight }));
      group.append(svg("title", {}, this._describe(slot)));
      root.append(group);
    });

    const line = (key, className) => {
      const points = slots
        .map((slot, index) => (slot[key] === null ? null : `${(x(index) + slotWidth / 2).toFixed(1)},${y(slot[key]).toFixed(1)}`))
        .filter(Boolean);
      if (points.length > 1) root.append(svg("polyline", { class: className, points: points.join(" ") }));
    };
    line("forecastBuy", "forecast");
    line("forecastSell", "forecast-sell");

    const currentIndex = slots.findIndex((slot) => slot.current);
    if (currentIndex >= 0) {
      root.append(svg("rect", { class: "now-marker", x: x(currentIndex), y: MARGIN.top - 2, width: slotWidth, height: plotHeight + 4, rx: 2 }));
      root.append(svg("text", { class: "now-label", x: x(currentIndex) + slotWidth / 2, y: MARGIN.top - 5, "text-anchor": "middle" }, "Now"));
    }
    return root;
  }

  _describe(slot) {
    const lines = [
      `${slot.time}–${this._addHalfHour(slot.time)}${slot.current ? " (now)" : ""}`,
      `Buy ${cents(slot.buy)} c/kWh · Sell ${cents(slot.sell)} c/kWh`,
      `From: ${sourceOf(slot.source).label}`,
    ];
    if (slot.forecastBuy !== null) {
      lines.push(`Amber now: buy ${cents(slot.forecastBuy)} · sell ${cents(slot.forecastSell)} c/kWh`);
    }
    if (slot.demand) lines.push(`Demand charge ${slot.demand} $/kW`);
    return lines.join("\n");
  }

  _addHalfHour(time) {
    const [hours, minutes] = time.split(":").map(Number);
    const total = hours * 60 + minutes + 30;
    return `${String(Math.floor(total / 60) % 24).padStart(2, "0")}:${String(total % 60).padStart(2, "0")}`;
  }

  _wireTooltip(chart, drawing, tooltip, slots) {
    const show = (event) => {
      const group = event.target.closest?.("g.slot");
      drawing.querySelectorAll("g.slot.active").forEach((active) => active.classList.remove("active"));
      if (!group) {
        tooltip.hidden = true;
        return;
      }
      group.classList.add("active");
      const slot = slots[Number(group.dataset.index)];
      tooltip.textContent = "";
      for (const text of this._describe(slot).split("\n")) {
        const row = document.createElement("div");
        row.textContent = text;
        tooltip.append(row);
      }
      tooltip.hidden = false;
      const box = chart.getBoundingClientRect();
      const left = Math.min(Math.max(event.clientX - box.left + 12, 0), Math.max(box.width - tooltip.offsetWidth, 0));
      tooltip.style.left = `${left}px`;
      tooltip.style.top = `${Math.max(event.clientY - box.top - tooltip.offsetHeight - 8, 0)}px`;
    };
    drawing.addEventListener("pointermove", show);
    drawing.addEventListener("pointerdown", show);
    drawing.addEventListener("pointerleave", () => {
      tooltip.hidden = true;
    });
  }

  _legend(slots) {
    const legend = document.createElement("div");
    legend.className = "legend";
    const seen = [...new Set(slots.map((slot) => slot.source))];
    for (const name of seen) {
      const item = document.createElement("span");
      item.dataset.source = name;
      item.style.setProperty("--swatch", sourceOf(name).colour);
      item.textContent = sourceOf(name).label;
      legend.append(item);
    }
    const add = (text, colour, className) => {
      const item = document.createElement("span");
      item.className = className;
      item.style.setProperty("--swatch", colour);
      item.textContent = text;
      legend.append(item);
    };
    add("Sell held", "var(--primary-text-color)", "line");
    if (slots.some((slot) => slot.forecastBuy !== null)) add("Amber now (buy, sell dashed)", "var(--accent-color, #ff9800)", "line");
    if (slots.some((slot) => slot.demand)) add("Demand window", "var(--warning-color, #ffa600)", "");
    return legend;
  }

  // What happened: the last 24 hours of the Powerwall's price against battery and grid power, from the
  // recorder's 5-minute statistics.
  _renderHistory(card) {
    this._header(card, "What happened, last 24 hours");
    if (!this._hass) return;
    if (this._historyDue() && !this._loading) this._loadHistory();
    const history = this._history;
    if (history === undefined) {
      this._message(card, "Loading statistics…");
      return;
    }
    if (history.error) {
      this._message(card, history.error, "error");
      return;
    }
    const chart = document.createElement("div");
    chart.className = "chart";
    chart.append(this._drawHistory(history));
    card.append(chart);
    const legend = document.createElement("div");
    legend.className = "legend";
    for (const [text, colour, className] of [
      ["Price on the Powerwall (c/kWh)", "var(--primary-color, #03a9f4)", "line"],
      ["Battery discharging (kW)", "var(--energy-battery-out-color, #4db6ac)", ""],
      ["Battery charging (kW)", "var(--energy-battery-in-color, #f06292)", ""],
      ["Grid, + import / − export (kW)", "var(--energy-grid-consumption-color, #488fc2)", "line"],
    ]) {
      const item = document.createElement("span");
      item.className = className;
      item.style.setProperty("--swatch", colour);
      item.textContent = text;
      legend.append(item);
    }
    card.append(legend);
  }

  async _loadHistory() {
    this._loading = true;
    const end = new Date();
    const start = new Date(end.getTime() - 24 * 60 * 60 * 1000);
    const ids = {
      price: this._config.entity,
      battery: sibling(this._hass, this._config.entity, "battery_power"),
      grid: sibling(this._hass, this._config.entity, "grid_power"),
    };
    try {
      const statistics = await this._hass.callWS({
        type: "recorder/statistics_during_period",
        start_time: start.toISOString(),
        end_time: end.toISOString(),
        statistic_ids: Object.values(ids).filter(Boolean),
        period: "5minute",
        types: ["mean"],
        units: { power: "kW" },
      });
      const series = (id) =>
        (statistics[id] || [])
          .filter((point) => point.mean !== null && point.mean !== undefined)
          .map((point) => ({ at: new Date(point.start).getTime(), value: Number(point.mean) }));
      this._history = { start: start.getTime(), end: end.getTime(), timeZone: this._hass.config?.time_zone, price: series(ids.price), battery: ids.battery ? series(ids.battery) : [], grid: ids.grid ? series(ids.grid) : [] };
    } catch (err) {
      this._history = { error: `Statistics could not be read: ${err?.message || err}` };
    }
    this._historyAt = Date.now();
    this._loading = false;
    this._render();
  }

  _drawHistory(history) {
    const root = svg("svg", { viewBox: `0 0 ${WIDTH} ${HEIGHT + 120}`, role: "img", "aria-label": "The last 24 hours", class: "history-chart" });
    const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
    const x = (at) => MARGIN.left + (plotWidth * (at - history.start)) / (history.end - history.start);
    const panel = (top, height, low, high, unit) => {
      const scale = priceScale(low, high);
      const y = (value) => top + height * (1 - (value - scale.min) / (scale.max - scale.min));
      const axis = svg("g", { class: "axis" });
      for (const tick of scale.ticks) {
        axis.append(svg("line", { class: tick === 0 ? "zero-line" : "grid-line", x1: MARGIN.left, x2: WIDTH - MARGIN.right, y1: y(tick), y2: y(tick) }));
        axis.append(svg("text", { x: MARGIN.left - 6, y: y(tick) + 4, "text-anchor": "end" }, String(tick)));
      }
      axis.append(svg("text", { x: 2, y: top - 4, class: "unit" }, unit));
      root.append(axis);
      return y;
    };
    const prices = history.price.map((point) => point.value * 100);
    const priceY = panel(MARGIN.top, 130, Math.min(0, ...prices), Math.max(1, ...prices), "c/kWh");
    const powers = [...history.battery, ...history.grid].map((point) => point.value);
    const powerY = panel(MARGIN.top + 170, 150, Math.min(-1, ...powers), Math.max(1, ...powers), "kW");
    // A line per run of statistics: where the recorder has none for longer than two periods (Home Assistant
    // was stopped, the sensor unavailable) the line breaks instead of bridging the gap; a lone point is a dot.
    const path = (points, y, scale, className) => {
      const runs = [];
      for (const point of points) {
        const run = runs[runs.length - 1];
        if (run && point.at - run[run.length - 1].at <= 2 * STATISTICS_PERIOD_MS) run.push(point);
        else runs.push([point]);
      }
      for (const run of runs) {
        if (run.length === 1) {
          root.append(svg("circle", { class: `${className} dot`, cx: x(run[0].at).toFixed(1), cy: y(run[0].value * scale).toFixed(1), r: 2 }));
        } else {
          root.append(svg("polyline", { class: className, points: run.map((point) => `${x(point.at).toFixed(1)},${y(point.value * scale).toFixed(1)}`).join(" ") }));
        }
      }
    };
    path(history.price, priceY, 100, "history-price");
    const barWidth = Math.max(plotWidth / 288 - 0.5, 0.5);
    for (const point of history.battery) {
      const top = Math.min(powerY(point.value), powerY(0));
      root.append(svg("rect", { class: `history-battery ${point.value >= 0 ? "discharge" : "charge"}`, x: x(point.at), y: top, width: barWidth, height: Math.abs(powerY(point.value) - powerY(0)) }));
    }
    path(history.grid, powerY, 1, "history-grid");
    // Hours on the site's clock (Home Assistant's time zone), like the forecast view, whatever the browser's.
    const clock = new Intl.DateTimeFormat([], { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: history.timeZone || undefined });
    for (let hour = 0; hour <= 24; hour += 6) {
      const at = history.start + hour * 3600 * 1000;
      root.append(svg("text", { class: "label time", x: x(at), y: HEIGHT + 114, "text-anchor": hour === 0 ? "start" : hour === 24 ? "end" : "middle" }, clock.format(new Date(at))));
    }
    if (history.price.length === 0 && powers.length === 0) {
      root.append(svg("text", { class: "label", x: WIDTH / 2, y: 120, "text-anchor": "middle" }, "No statistics yet: the recorder compiles them every 5 minutes."));
    }
    return root;
  }
}

export class TeslaSyncTariffCardEditor extends HTMLElement {
  setConfig(config) {
    this._config = { ...config };
    this._render();
  }

  set hass(hass) {
    const first = !this._hass;
    this._hass = hass;
    if (first) this._render();
  }

  _render() {
    if (!this._config || !this._hass) return;
    if (!this.shadowRoot) this.attachShadow({ mode: "open" });
    const root = this.shadowRoot;
    root.replaceChildren();
    const style = document.createElement("style");
    style.textContent = "label { display: block; margin: 8px 0 4px; color: var(--primary-text-color); } select { width: 100%; padding: 6px; }";
    const field = (labelText, name, options) => {
      const label = document.createElement("label");
      label.textContent = labelText;
      const select = document.createElement("select");
      select.name = name;
      for (const [value, text] of options) {
        const option = document.createElement("option");
        option.value = value;
        option.textContent = text;
        option.selected = this._config[name] === value;
        select.append(option);
      }
      select.addEventListener("change", () => {
        this._config = { ...this._config, [name]: select.value };
        this.dispatchEvent(new CustomEvent("config-changed", { detail: { config: this._config }, bubbles: true, composed: true }));
      });
      label.append(select);
      return label;
    };
    root.append(
      style,
      field("Tesla Sync entry", "entity", tariffSensors(this._hass).map((sensor) => [sensor.entityId, sensor.name])),
      field("Show", "view", [["forecast", "Next 24 hours"], ["history", "What happened (last 24 hours)"]]),
    );
  }
}

if (!customElements.get("tesla-sync-tariff-card")) {
  customElements.define("tesla-sync-tariff-card", TeslaSyncTariffCard);
  customElements.define("tesla-sync-tariff-card-editor", TeslaSyncTariffCardEditor);
  window.customCards = window.customCards || [];
  window.customCards.push({
    type: "tesla-sync-tariff-card",
    name: "Tesla Sync tariff",
    description: "The next 24 hours of the Powerwall's tariff beside Amber's forecast, or what happened in the last 24.",
    preview: true,
  });
}

export { SOURCES };
