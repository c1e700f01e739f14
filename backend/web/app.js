// The exchange UI: wires the views to the public REST API (and the websocket feed).

import { renderAccount, renderMyTrades, renderOrders } from "./account.js";
import { ApiError, api, apiKey } from "./api.js";
import { renderAuction, startCountdown } from "./auction.js";
import { renderBook } from "./book.js";
import { renderChart } from "./chart.js";
import { mountConsole } from "./console.js";
import { fixed, grouped, places } from "./dec.js";
import { loadDocuments, renderDocuments, verifyDocuments } from "./documents.js";
import { $, errorView, h, kindLabel, shortHex } from "./dom.js";
import { MarketFeed, every } from "./feed.js";
import { parseStatus, renderMarkets, statusBadge } from "./markets.js";
import { Ticket } from "./ticket.js";
import { renderTrades } from "./trades.js";

const state = {
  assets: [],
  lastPrices: {},
  selected: null,
  book: null,
  trades: [],
  auction: null, // GET /v1/markets/{symbol}/auction while the market is in a call
  marketError: null,
  documents: [],
  documentsError: null,
  account: null,
  accountError: null,
  orders: null,
  ordersError: null,
  myTrades: null,
  myTradesError: null,
  cancelling: new Set(),
  feedMode: "polling",
  health: null,
};

const el = Object.fromEntries(["markets", "market-title", "market-subtitle", "market-status", "market-facts",
  "halt-banner", "auction-panel", "chart", "book", "trades", "documents", "account", "orders", "orders-notice", "my-trades",
  "connection", "banner", "key-form", "api-key", "key-forget", "key-state"].map((id) => [id, $(`#${id}`)]));

const selectedAsset = () => state.assets.find((a) => a.symbol === state.selected) ?? null;

// ---- views -----------------------------------------------------------------------------

const shown = new Map();

/** Re-render a view only when what it shows changed: hover, focus and clicks stay steady. */
function when(view, deps, render) {
  const snapshot = JSON.stringify(deps, (_, value) => (value instanceof Error ? String(value) : value));
  if (shown.get(view) === snapshot) return;
  shown.set(view, snapshot);
  render();
}

const steps = () => state.assets.map((a) => [a.symbol, a.tick_size, a.lot_size]);

function showMarkets() {
  when("markets", [state.assets, state.lastPrices, state.selected], () => renderMarkets(el.markets,
    { assets: state.assets, lastPrices: state.lastPrices, selected: state.selected, onSelect: select }));
}

function showHeader() {
  const asset = selectedAsset();
  el["market-title"].textContent = asset ? asset.symbol : state.assets.length ? "Select a market" : "No markets yet";
  el["market-subtitle"].textContent = asset ? `${asset.name} · ${kindLabel(asset.kind)}` : "";
  el["market-status"].replaceChildren(asset ? statusBadge(asset.market_status) : "");
  if (!asset) {
    el["market-facts"].replaceChildren();
    el["halt-banner"].hidden = true;
    renderAuction(el["auction-panel"], { call: null, asset });
    return;
  }
  const last = state.lastPrices[asset.symbol];
  const fact = (name, value, title) => [h("dt", {}, name), h("dd", { title }, value)];
  el["market-facts"].replaceChildren(
    ...fact("Last", last ? grouped(fixed(last, places(asset.tick_size))) : "—"),
    ...fact("Tick", asset.tick_size), ...fact("Lot", asset.lot_size),
    ...fact("Supply", grouped(asset.total_supply ?? "")),
    ...fact("Token", shortHex(asset.token_address), asset.token_address));
  const status = parseStatus(asset.market_status);
  const halted = !status.open && !status.auction;
  el["halt-banner"].hidden = !halted;
  el["halt-banner"].replaceChildren(!halted ? "" : h("span", {},
    h("strong", {}, "Trading halted"), `: ${status.reason}. New orders are refused; cancels still work.`));
  when("auction", [asset.symbol, asset.tick_size, status.auction ? state.auction : null], () =>
    renderAuction(el["auction-panel"], { call: status.auction ? state.auction : null, asset }));
}

function showMarket() {
  const asset = selectedAsset();
  when("market", [asset?.symbol, asset?.tick_size, asset?.lot_size, state.book, state.trades, state.marketError],
    () => drawMarket(asset));
}

function drawMarket(asset) {
  if (state.marketError) {
    el.book.replaceChildren(h("p", { class: "notice notice-error", role: "alert" }, errorView(state.marketError)));
  } else {
    renderBook(el.book, { book: state.book, asset, onPick: (price) => ticket.setPrice(price) });
  }
  renderTrades(el.trades, { trades: state.trades, asset });
  renderChart(el.chart, { trades: state.trades, asset });
}

function showDocuments() {
  renderDocuments(el.documents, { documents: state.documents, error: state.documentsError, asset: selectedAsset() });
}

function showAccount() {
  const assets = state.assets;
  when("account", [state.account, state.accountError, steps()], () =>
    renderAccount(el.account, { account: state.account, error: state.accountError, assets }));
  when("orders", [state.orders, state.ordersError, [...state.cancelling], steps()], () =>
    renderOrders(el.orders, { orders: state.orders, error: state.ordersError, assets, onCancel: cancel,
      cancelling: state.cancelling }));
  when("my-trades", [state.myTrades, state.myTradesError, steps()], () =>
    renderMyTrades(el["my-trades"], { trades: state.myTrades, error: state.myTradesError, assets }));
  const key = apiKey.get();
  el["key-state"].textContent = key ? `Using key …${key.slice(-4)}` : "No key saved.";
}

function showConnection() {
  const feed = state.feedMode === "live" ? "Live feed" : "Polling every 2 s";
  const health = state.health;
  const chain = health?.chain_id ? ` · chain ${health.chain_id}, block ${health.block}` : "";
  const degraded = health && health.status !== "ok";
  el.connection.className = `connection ${degraded ? "degraded" : state.feedMode}`;
  el.connection.textContent = degraded ? `Degraded: ${(health.reasons ?? []).join("; ")}` : `${feed}${chain}`;
}

function showBanner(error) {
  el.banner.hidden = !error;
  el.banner.replaceChildren(error ? errorView(error) : "");
}

// ---- data ------------------------------------------------------------------------------

async function refreshMarkets() {
  try {
    state.assets = (await api.assets()) ?? [];
    showBanner(null);
  } catch (error) {
    showBanner(error);
    return;
  }
  if (!selectedAsset()) {
    const wanted = decodeURIComponent(location.hash.slice(1));
    const symbol = state.assets.some((a) => a.symbol === wanted) ? wanted : state.assets[0]?.symbol;
    if (symbol) select(symbol);
  }
  await Promise.all(state.assets.map(async (asset) => {
    try {
      const [last] = await api.marketTrades(asset.symbol, 1);
      state.lastPrices[asset.symbol] = last?.price ?? null;
    } catch {
      // the market's own view reports errors; the list keeps its last known price
    }
  }));
  showMarkets();
  showHeader();
  ticket.sync();
}

async function refreshMarket(symbol) {
  try {
    const [asset, book, trades, auction] = await Promise.all([api.asset(symbol), api.book(symbol, 15),
      api.marketTrades(symbol, 80), api.auction(symbol).catch(() => null)]);
    if (symbol !== state.selected) return;
    state.assets = state.assets.map((a) => (a.symbol === symbol ? asset : a));
    Object.assign(state, { book, trades, auction, marketError: null });
    state.lastPrices[symbol] = trades[0]?.price ?? null;
  } catch (error) {
    if (symbol !== state.selected) return;
    state.marketError = error;
  }
  showMarket();
  showHeader();
  showMarkets();
}

async function refreshDocuments() {
  const symbol = state.selected;
  if (!symbol) return;
  const { documents, error } = await loadDocuments(symbol);
  if (symbol !== state.selected) return;
  Object.assign(state, { documents, documentsError: error });
  showDocuments();
  await verifyDocuments(documents, () => symbol === state.selected && showDocuments());
}

async function refreshAccount() {
  if (!apiKey.get()) {
    Object.assign(state, { account: null, accountError: null, orders: null, ordersError: null, myTrades: null, myTradesError: null });
    showAccount();
    ticket.sync();
    return;
  }
  const settle = (promise) => promise.then((value) => [value, null], (error) => [null, error]);
  const [[account, accountError], [orders, ordersError], [myTrades, myTradesError]] =
    await Promise.all([settle(api.account()), settle(api.orders()), settle(api.myTrades())]);
  Object.assign(state, { account, accountError, orders, ordersError, myTrades, myTradesError });
  if (accountError instanceof ApiError && [401, 403].includes(accountError.status)) {
    Object.assign(state, { orders: null, ordersError: null, myTrades: null, myTradesError: null });
  }
  showAccount();
  ticket.sync();
}

async function refreshHealth() {
  try {
    state.health = await api.health();
  } catch (error) {
    state.health = { status: "unreachable", reasons: [String(error)] };
  }
  showConnection();
}

// ---- actions ---------------------------------------------------------------------------

function select(symbol) {
  if (!symbol || symbol === state.selected) return;
  Object.assign(state, { selected: symbol, book: null, trades: [], auction: null, marketError: null, documents: [], documentsError: null });
  if (decodeURIComponent(location.hash.slice(1)) !== symbol) history.replaceState(null, "", `#${encodeURIComponent(symbol)}`);
  showMarkets();
  showHeader();
  showMarket();
  showDocuments();
  ticket.sync();
  feed.watch(symbol);
  documentsLoop.now();
}

async function cancel(order) {
  state.cancelling.add(order.id);
  showAccount();
  try {
    await api.cancelOrder(order.id);
    el["orders-notice"].replaceChildren();
  } catch (error) {
    el["orders-notice"].replaceChildren(h("p", { class: "notice notice-error", role: "alert" }, errorView(error)));
  } finally {
    state.cancelling.delete(order.id);
    accountLoop.now();
    feed.soon();
  }
}

el["key-form"].addEventListener("submit", (event) => {
  event.preventDefault();
  const key = el["api-key"].value.trim();
  if (!key) return;
  apiKey.set(key);
  el["api-key"].value = "";
  state.accountError = null;
  showAccount();
  accountLoop.now();
});

el["key-forget"].addEventListener("click", () => {
  apiKey.clear();
  el["orders-notice"].replaceChildren();
  accountLoop.now();
});

window.addEventListener("hashchange", () => select(decodeURIComponent(location.hash.slice(1))));
window.addEventListener("storage", (event) => event.key === "rwa.apiKey" && accountLoop.now());

// ---- start -----------------------------------------------------------------------------

const ticket = new Ticket($("#ticket"), {
  asset: selectedAsset,
  wallet: () => state.account?.wallet ?? null,
  onPlaced: () => {
    accountLoop.now();
    feed.soon();
  },
});

const feed = new MarketFeed(refreshMarket, (mode) => {
  state.feedMode = mode;
  showConnection();
});

let redraw = null;
new ResizeObserver(() => {
  clearTimeout(redraw);
  redraw = setTimeout(() => renderChart(el.chart, { trades: state.trades, asset: selectedAsset() }), 100);
}).observe(el.chart);

showAccount();
startCountdown(el["auction-panel"]);
const accountLoop = every(2500, refreshAccount);
const documentsLoop = every(15000, refreshDocuments);
every(5000, refreshMarkets);
every(10000, refreshHealth);
mountConsole({ toggle: $("#console-toggle"), container: $("#console"), trading: $("main.layout") });
