// The card's own tests, run in the browser test's Chromium: `(async (base, example) => [...failures])`.
// `base` is the URL the integration serves its frontend folder under; `example` holds the layout, the
// reference -> entity id table of the YAML example and the example's dashboard, from Python.
async (base, example) => {
  const failures = [];
  const check = (name, condition, detail = "") => {
    if (!condition) failures.push(`${name} ${detail}`);
  };
  const model = await import(`${base}/tariff-model.js`);
  const strategy = await import(`${base}/strategy.js`);
  const card = await import(`${base}/tariff-card.js`);

  // chartSlots: the slot in progress first, Amber's build matched by wall clock, stale starts moved on.
  const slots = [];
  const build = [];
  for (let index = 0; index < 48; index++) {
    const hours = String(Math.floor(index / 2)).padStart(2, "0");
    const minutes = index % 2 ? "30" : "00";
    const day = index < 20 ? "2026-11-02" : "2026-11-01";
    slots.push({ start: `${day}T${hours}:${minutes}:00+11:00`, buy: index / 100, sell: index / 200, source: index === 3 ? "fallback" : "forecast" });
    build.push({ start: `${day}T${hours}:${minutes}:00+11:00`, buy: index / 100 + 0.01, sell: index / 200, source: "forecast" });
  }
  const now = new Date("2026-11-01T10:10:00+11:00");
  const chart = model.chartSlots({ slots, amber_build: build.slice(0, 47) }, now);
  check("48 slots", chart.length === 48, chart.length);
  check("the first is in progress", chart[0].time === "10:00" && chart[0].current, JSON.stringify(chart[0]));
  check("one slot in progress", chart.filter((slot) => slot.current).length === 1);
  check("in time order", chart.every((slot, index) => index === 0 || slot.startMs - chart[index - 1].startMs === 1800000));
  check("the last is 09:30 tomorrow", chart[47].time === "09:30");
  check("Amber's build beside", Math.abs(chart[0].forecastBuy - 0.21) < 1e-9, chart[0].forecastBuy);
  check("no build, no line", chart.find((slot) => slot.time === "23:30").forecastBuy === null);
  const later = model.chartSlots({ slots }, new Date("2026-11-02T10:40:00+11:00"));
  check("stale attributes still line up", later[0].time === "10:30" && later[0].current, later[0].time);
  check("no attributes, no slots", model.chartSlots(undefined, now).length === 0);

  // priceScale: round steps that cover the range and zero.
  const scale = model.priceScale(3, 47);
  check("scale covers", scale.min <= 0 && scale.max >= 47, JSON.stringify(scale));
  check("scale steps", [1, 2, 5, 10, 20].includes(scale.step), scale.step);
  check("negative prices", model.priceScale(-12, 30).min <= -12);
  check("cents", model.cents(0.2345) === "23.45", model.cents(0.2345));
  check("every source coloured", ["forecast", "fallback", "spike", "custom", "profile", "command"].every((name) => model.SOURCES[name]));
  check("an unknown source still drawn", model.sourceOf("other").label === "other");

  // resolveLayout gives the YAML example from the layout, with the same table of entity ids.
  const resolved = model.resolveLayout(example.layout.view, (device, domain, key) => example.table[`${device}:${domain}.${key}`] ?? undefined);
  const view = { title: "Home Powerwall", path: "home-powerwall", ...resolved };
  check("the strategy's layout is the YAML example's", JSON.stringify(view) === JSON.stringify(example.dashboard.views[0]));

  // buildDashboard: one view per Powerwall, each with its own entities; a missing entity leaves its card out.
  const entities = {};
  const devices = {
    pw1: { id: "pw1", name: "Beach House", config_entries: ["e1"] },
    am1: { id: "am1", name: "Amber Electric", config_entries: ["e1"] },
    pw2: { id: "pw2", name: "Home Powerwall", name_by_user: "Home", config_entries: ["e2"] },
    am2: { id: "am2", name: "Amber Electric", config_entries: ["e2"] },
  };
  const add = (entityId, device, key) => {
    entities[entityId] = { entity_id: entityId, device_id: device, platform: "tesla_amber_sync", translation_key: key };
  };
  add("sensor.beach_house_tariff", "pw1", "tariff");
  add("sensor.amber_electric_general_price", "am1", "general_price");
  add("sensor.home_tariff", "pw2", "tariff");
  add("sensor.amber_electric_general_price_2", "am2", "general_price");
  entities["sensor.other"] = { entity_id: "sensor.other", device_id: "x", platform: "other", translation_key: "tariff" };
  const built = strategy.buildDashboard(example.layout, { entities, devices });
  check("a view per Powerwall", built.views.map((v) => v.path).join() === "beach-house,home", built.views.map((v) => v.path).join());
  const text = JSON.stringify(built.views[1]);
  check("the owner's name for the view", built.views[1].title === "Home");
  check("its own entities", text.includes("sensor.home_tariff") && text.includes("general_price_2") && !text.includes("beach_house"), text);
  check("missing entities left out", !text.includes("powerwall:") && !text.includes("solar_power"), text);
  check("no entry, a hint", strategy.buildDashboard(example.layout, { entities: {}, devices: {} }).views[0].path === "setup");
  check("the strategy is registered", customElements.get("ll-strategy-dashboard-tesla-sync") === strategy.TeslaSyncDashboardStrategy);

  // The card: a bad config is refused; the stub config names an entry's tariff sensor; it renders offline.
  const Card = customElements.get("tesla-sync-tariff-card");
  check("the card is registered", Card === card.TeslaSyncTariffCard);
  check("listed in the card picker", (window.customCards || []).some((entry) => entry.type === "tesla-sync-tariff-card"));
  let refused = false;
  try {
    new Card().setConfig({ entity: "light.kitchen" });
  } catch (err) {
    refused = true;
  }
  check("a wrong entity is refused", refused);
  check("the stub names the tariff sensor", Card.getStubConfig({ entities, devices }).entity === "sensor.beach_house_tariff");
  const element = new Card();
  element.setConfig({ entity: "sensor.t" });
  element.hass = { states: { "sensor.t": { state: "0.1", attributes: { slots, amber_build: build } } }, themes: { darkMode: true } };
  document.body.append(element);
  const root = element.shadowRoot;
  check("48 slots drawn", root.querySelectorAll("g.slot").length === 48);
  check("one marked now", root.querySelectorAll("g.slot.current").length === 1);
  check("the fallback slot coloured", root.querySelector('g.slot[data-source="fallback"] rect.buy').getAttribute("fill").includes("fallback"));
  check("the forecast line", root.querySelector("polyline.forecast") !== null);
  check("a c/kWh scale", root.textContent.includes("c/kWh"));
  const editor = document.createElement("tesla-sync-tariff-card-editor");
  editor.setConfig({ entity: "sensor.home_tariff" });
  editor.hass = { entities, devices };
  check("the editor lists the entries", editor.shadowRoot.querySelectorAll("select[name=entity] option").length === 2);
  element.remove();
  return failures;
}
