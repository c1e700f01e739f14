// Order book depth: asks above (best at the bottom), bids below (best at the top),
// each level with a bar proportional to the cumulative size from the best price.

import { add, cmp, fixed, grouped, places, sub, toNumber } from "./dec.js";
import { h } from "./dom.js";

function cumulative(levels) {
  let total = "0";
  return levels.map(([price, size]) => {
    total = add(total, size);
    return { price, size, total };
  });
}

function rows(levels, side, max, asset, onPick) {
  const pricePlaces = places(asset.tick_size);
  const sizePlaces = places(asset.lot_size);
  return levels.map(({ price, size, total }) => {
    const depth = max > 0 ? Math.max(1, Math.round((toNumber(total) / max) * 100)) : 0;
    const shown = fixed(price, pricePlaces);
    return h("tr", { class: `level level-${side}`, style: { "--depth": `${depth}%` } },
      h("td", { class: "num price" },
        h("button", { type: "button", class: "price-pick", title: `Use ${shown} as the ticket price`, onClick: () => onPick(shown) },
          grouped(shown))),
      h("td", { class: "num" }, grouped(fixed(size, sizePlaces))),
      h("td", { class: "num total" }, grouped(fixed(total, sizePlaces))));
  });
}

export function renderBook(container, { book, asset, onPick }) {
  if (!book || !asset) {
    container.replaceChildren(h("p", { class: "empty" }, asset ? "Loading the order book…" : "Select a market."));
    return;
  }
  const asks = cumulative(book.asks ?? []);
  const bids = cumulative(book.bids ?? []);
  const max = Math.max(toNumber(asks.at(-1)?.total ?? 0), toNumber(bids.at(-1)?.total ?? 0));
  const head = h("thead", {}, h("tr", {},
    h("th", { scope: "col", class: "num" }, "Price"), h("th", { scope: "col", class: "num" }, "Size"),
    h("th", { scope: "col", class: "num" }, "Total")));
  const bestAsk = book.asks?.[0]?.[0];
  const bestBid = book.bids?.[0]?.[0];
  let spread = "—";
  if (bestAsk && bestBid && cmp(bestAsk, bestBid) > 0) {
    const gap = sub(bestAsk, bestBid);
    const pct = (toNumber(gap) / toNumber(bestAsk)) * 100;
    spread = `${fixed(gap, places(asset.tick_size))} (${pct.toFixed(2)}%)`;
  }
  const askRows = rows(asks, "ask", max, asset, onPick).reverse();
  const bidRows = rows(bids, "bid", max, asset, onPick);
  container.replaceChildren(
    h("table", { class: "book-table", "aria-label": "Asks (sell orders)" },
      h("caption", { class: "visually-hidden" }, "Asks"), head,
      h("tbody", {}, askRows.length ? askRows : h("tr", {}, h("td", { colspan: 3, class: "empty" }, "No asks")))),
    h("div", { class: "spread", role: "note" }, h("span", {}, "Spread"), h("span", { class: "num" }, spread)),
    h("table", { class: "book-table", "aria-label": "Bids (buy orders)" },
      h("caption", { class: "visually-hidden" }, "Bids"), head.cloneNode(true),
      h("tbody", {}, bidRows.length ? bidRows : h("tr", {}, h("td", { colspan: 3, class: "empty" }, "No bids")))));
}
