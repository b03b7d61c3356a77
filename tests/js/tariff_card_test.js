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
  const resolved = model.resolveLayout(example.layout.view, (device, domain, key) => example.table[`${device}:${domain}.${key}`] ?? undefined, new Set(["energy"]));
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
  // The demand-charge stack only where a demand charge is set (its entities exist only then).
  const headings = (view) => JSON.stringify(view).match(/"heading":"[^"]+"/g) || [];
  check("no demand charge, no demand stack", !headings(built.views[1]).includes('"heading":"Demand charge"'), headings(built.views[1]));
  add("sensor.home_demand_peak", "pw2", "demand_peak");
  add("sensor.home_demand_charge_estimate", "pw2", "demand_charge_estimate");
  const withDemand = JSON.stringify(strategy.buildDashboard(example.layout, { entities, devices }).views[1]);
  check("a demand charge, its stack", withDemand.includes('"heading":"Demand charge"') && withDemand.includes("sensor.home_demand_peak") && withDemand.includes("sensor.home_demand_charge_estimate") && !withDemand.includes("demand_window_active"), withDemand);
  check("and not on the other Powerwall", !JSON.stringify(strategy.buildDashboard(example.layout, { entities, devices }).views[0]).includes("Demand charge"));
  // The energy-distribution card only where the Energy dashboard is set up (it draws nothing otherwise).
  const cardTypes = (dashboard) => JSON.stringify(dashboard.views[0].cards.map((each) => each.type));
  check("no Energy dashboard, no energy card", !cardTypes(built).includes("energy-distribution"), cardTypes(built));
  const withEnergy = strategy.buildDashboard(example.layout, { entities, devices }, new Set(["energy"]));
  check("the energy card where the Energy dashboard is set up", cardTypes(withEnergy).includes("energy-distribution") && !JSON.stringify(withEnergy).includes("requires"), cardTypes(withEnergy));
  check("energy set up: prefs with a source", (await strategy.energyConfigured({ callWS: async () => ({ energy_sources: [{ type: "grid" }] }) })) === true);
  check("energy not set up: no prefs", (await strategy.energyConfigured({ callWS: async () => Promise.reject({ code: "not_found" }) })) === false);
  check("energy not set up: no sources", (await strategy.energyConfigured({ callWS: async () => ({ energy_sources: [] }) })) === false);
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

  // The history view, fed a `recorder/statistics_during_period` reply recorded from a real Home Assistant
  // (example.statistics: its request and reply), moved in time so it ends when the card asks.
  const recorded = example.statistics;
  const ids = { price: "sensor.home_powerwall_tariff", battery: "sensor.home_powerwall_battery_power", grid: "sensor.home_powerwall_grid_power" };
  const registry = {};
  for (const [key, entityId] of Object.entries({ tariff: ids.price, battery_power: ids.battery, grid_power: ids.grid, solar_power: "sensor.home_powerwall_solar_power" })) {
    registry[entityId] = { entity_id: entityId, device_id: "pw", platform: "tesla_amber_sync", translation_key: key };
  }
  const asked = [];
  const historyHass = (reply) => ({
    states: { [ids.price]: { state: "0.1", attributes: {} } },
    entities: registry,
    devices: { pw: { id: "pw", name: "Home Powerwall", config_entries: ["e"] } },
    config: { time_zone: "Australia/Sydney" },
    themes: { darkMode: false },
    callWS: async (message) => {
      asked.push(message);
      return reply(message);
    },
  });
  const moved = (message) => {
    const shift = Date.parse(message.end_time) - Date.parse(recorded.request.end_time);
    const reply = {};
    for (const [id, points] of Object.entries(recorded.response)) {
      reply[id] = points.map((point) => ({ ...point, start: point.start + shift, end: point.end + shift }));
    }
    return reply;
  };
  const drawn = async (view, selector) => {
    for (let tries = 0; tries < 100; tries++) {
      const found = view.shadowRoot.querySelector(selector);
      if (found) return found;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return null;
  };
  const history = new Card();
  history.setConfig({ entity: ids.price, view: "history" });
  history.hass = historyHass(moved);
  document.body.append(history);
  const historyChart = await drawn(history, "svg.history-chart");
  check("the history view draws", historyChart !== null, history.shadowRoot.textContent);
  const request = asked[0] || {};
  check("one statistics request", asked.length === 1, asked.length);
  check("5-minute means", request.type === "recorder/statistics_during_period" && request.period === "5minute" && request.types.join() === "mean", JSON.stringify(request));
  check("price, battery and grid of the same Powerwall", [...request.statistic_ids].sort().join() === [ids.battery, ids.grid, ids.price].join(), request.statistic_ids);
  check("power in kW", request.units?.power === "kW");
  check("the last 24 hours", Date.parse(request.end_time) - Date.parse(request.start_time) === 24 * 3600 * 1000);
  if (historyChart) {
    const reply = moved(request);
    const start = Date.parse(request.start_time);
    const means = (id) => (reply[id] || []).filter((point) => point.mean !== null).map((point) => ({ at: point.start, value: point.mean }));
    const xy = (selector) => [...historyChart.querySelectorAll(selector)].flatMap((shape) =>
      shape.tagName === "circle"
        ? [[Number(shape.getAttribute("cx")), Number(shape.getAttribute("cy"))]]
        : shape.getAttribute("points").split(" ").map((pair) => pair.split(",").map(Number)));
    // Every drawn point is a statistic where the chart's own axes put it: x from the hour labels (the window's
    // start and end), y from the tick lines of its panel (the first for the price in c/kWh, the second kW).
    const hours = [...historyChart.querySelectorAll("text.time")].map((label) => Number(label.getAttribute("x")));
    const xOf = (at) => hours[0] + ((at - start) / (24 * 3600 * 1000)) * (hours[hours.length - 1] - hours[0]);
    const yOf = (panel) => {
      const ticks = [...historyChart.querySelectorAll("g.axis")][panel].querySelectorAll("text:not(.unit)");
      const [first, last] = [ticks[0], ticks[ticks.length - 1]].map((tick) => [Number(tick.textContent), Number(tick.getAttribute("y")) - 4]);
      return (value) => first[1] + ((value - first[0]) * (last[1] - first[1])) / (last[0] - first[0]);
    };
    const placed = (name, data, points, y, scale) => {
      check(`${name}: a point per statistic`, data.length > 0 && points.length === data.length, `${points.length} drawn of ${data.length}`);
      const wrong = data.filter((point, index) => !points[index] || Math.abs(points[index][0] - xOf(point.at)) > 0.2 || Math.abs(points[index][1] - y(point.value * scale)) > 0.2);
      check(`${name}: each at its time and value`, wrong.length === 0, JSON.stringify(wrong.slice(0, 3)));
    };
    const price = means(ids.price);
    placed("price", price, xy(".history-price"), yOf(0), 100);
    placed("grid", means(ids.grid), xy(".history-grid"), yOf(1), 1);
    // The battery as bars from zero: charging (negative) and discharging (positive) apart, as tall as the mean.
    const battery = means(ids.battery);
    const bars = [...historyChart.querySelectorAll("rect.history-battery")];
    check("battery: a bar per statistic", battery.length > 0 && bars.length === battery.length, `${bars.length} of ${battery.length}`);
    check("battery: charging and discharging told apart", bars.every((bar, index) => bar.classList.contains(battery[index].value >= 0 ? "discharge" : "charge")));
    const powerY = yOf(1);
    check("battery: from zero to the mean", bars.every((bar, index) => {
      const [top, height] = [Number(bar.getAttribute("y")), Number(bar.getAttribute("height"))];
      const [a, b] = [powerY(0), powerY(battery[index].value)].sort((m, n) => m - n);
      return Math.abs(top - a) < 0.2 && Math.abs(top + height - b) < 0.2;
    }));
    check("battery: at its time", bars.every((bar, index) => Math.abs(Number(bar.getAttribute("x")) - xOf(battery[index].at)) < 0.2));
    // The hours on the site's clock.
    const clock = new Intl.DateTimeFormat([], { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: "Australia/Sydney" });
    const labels = [...historyChart.querySelectorAll("text.time")].map((label) => label.textContent);
    check("hours on the site's clock", labels[0] === clock.format(new Date(start)) && labels.length === 5, labels.join());
    check("a legend", history.shadowRoot.querySelector(".legend")?.textContent.includes("Battery charging"));
    check("no error shown", !history.shadowRoot.querySelector(".error"));
  }
  history.remove();

  // A gap in the statistics breaks the line; a lone statistic is a dot; nothing yet says so; a refusal shows.
  const hour = 3600 * 1000;
  const gappy = new Card();
  gappy.setConfig({ entity: ids.price, view: "history" });
  gappy.hass = historyHass((message) => {
    const end = Date.parse(message.end_time);
    const at = (hours) => ({ start: end - hours * hour, end: end - hours * hour + 300000, mean: 0.2 + hours / 100 });
    return { [ids.price]: [at(10), at(10 - 1 / 12), at(9.5 + 1 / 12), at(3)], [ids.grid]: [], [ids.battery]: [] };
  });
  document.body.append(gappy);
  const gapChart = await drawn(gappy, "svg.history-chart");
  check("a gap breaks the line", gapChart?.querySelectorAll("polyline.history-price").length === 1 && gapChart?.querySelectorAll("circle.history-price").length === 2,
    gapChart?.innerHTML.slice(0, 200));
  gappy.remove();
  const none = new Card();
  none.setConfig({ entity: ids.price, view: "history" });
  none.hass = historyHass(() => ({}));
  document.body.append(none);
  const noneChart = await drawn(none, "svg.history-chart");
  check("no statistics yet, said", noneChart?.textContent.includes("No statistics yet"));
  none.remove();
  const denied = new Card();
  denied.setConfig({ entity: ids.price, view: "history" });
  denied.hass = historyHass(() => Promise.reject({ code: "unauthorized", message: "Unauthorized" }));
  document.body.append(denied);
  const error = await drawn(denied, ".error");
  check("a refusal is shown", error?.textContent.includes("Unauthorized"), error?.textContent);
  denied.remove();
  return failures;
}
