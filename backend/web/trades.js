// Recent trades of the selected market, newest first.

import { fixed, grouped, places } from "./dec.js";
import { h, timeOf } from "./dom.js";

export function renderTrades(container, { trades, asset }) {
  if (!asset) {
    container.replaceChildren();
    return;
  }
  if (!trades.length) {
    container.replaceChildren(h("p", { class: "empty" }, "No trades yet."));
    return;
  }
  const pricePlaces = places(asset.tick_size);
  const sizePlaces = places(asset.lot_size);
  container.replaceChildren(h("table", { class: "trades-table" },
    h("caption", { class: "visually-hidden" }, "Recent trades"),
    h("thead", {}, h("tr", {},
      h("th", { scope: "col" }, "Time"), h("th", { scope: "col", class: "num" }, "Price"),
      h("th", { scope: "col", class: "num" }, "Size"))),
    h("tbody", {}, trades.map((trade) => h("tr", {},
      h("td", { class: "muted" }, h("time", { datetime: trade.executed_at }, timeOf(trade.executed_at))),
      h("td", { class: `num ${trade.taker_side === "sell" ? "down" : "up"}`, title: `taker ${trade.taker_side}s` },
        grouped(fixed(trade.price, pricePlaces))),
      h("td", { class: "num" }, grouped(fixed(trade.quantity, sizePlaces))))))));
}
