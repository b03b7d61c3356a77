// Loaded by Home Assistant's frontend on every page: the tariff card, its editor and the dashboard strategy.
import "./tariff-card.js";
import "./strategy.js";
