// The markets list: symbol, name, kind, last price, market status (halts highlighted).

import { fixed, grouped, places } from "./dec.js";
import { h, kindLabel } from "./dom.js";

/** "halted: disclosure_missing (offering_memorandum)" -> {open: false, reason: "disclosure_missing (...)"};
 * "auction: reopening (until <time>)" -> {open: false, auction: true, reason: "reopening call until <time>"}
 * "limit state: down (until <time>)" -> {open: true, limit: true, reason: "price band hit (down), halts at <time> ..."} */
export function parseStatus(status) {
  const text = String(status ?? "");
  if (text === "open") return { open: true, label: "Open", reason: "" };
  const call = text.match(/^auction: (\w+) \(until (.*)\)$/);
  if (call) {
    const until = new Date(call[2]).toLocaleTimeString([], { hour12: false });
    return { open: false, auction: true, label: "Call auction", reason: `${call[1]} call until ${until}` };
  }
  const limit = text.match(/^limit state: (\w+) \(until (.*)\)$/);
  if (limit) {
    const until = new Date(limit[2]).toLocaleTimeString([], { hour12: false });
    return { open: true, limit: true, label: "Limit state", reason: `price band hit (${limit[1]}), halts at ${until} unless it recovers` };
  }
  const reason = text.startsWith("halted:") ? text.slice("halted:".length).trim() : text;
  return { open: false, label: "Halted", reason: humanReason(reason) };
}

function humanReason(reason) {
  return reason
    .replace(/^disclosure_missing \((.*)\)$/, (_, types) => `disclosures missing: ${types.replaceAll("_", " ")}`)
    .replace(/^volatility \(until (.*)\)$/, (_, until) => `volatility halt until ${new Date(until).toLocaleTimeString([], { hour12: false })}`)
    .replace(/^operator$/, "stopped by the operator");
}

const statusClass = (parsed) =>
  parsed.limit ? "status-auction" : parsed.open ? "status-open" : parsed.auction ? "status-auction" : "status-halted";

export function statusBadge(status) {
  const parsed = parseStatus(status);
  return h("span", { class: `status ${statusClass(parsed)}`, title: status },
    parsed.label, parsed.reason ? h("span", { class: "status-reason" }, `: ${parsed.reason}`) : null);
}

export function renderMarkets(container, { assets, lastPrices, selected, onSelect }) {
  if (!assets.length) {
    container.replaceChildren(h("p", { class: "empty" }, "No markets listed yet."));
    return;
  }
  const rows = assets.map((asset) => {
    const status = parseStatus(asset.market_status);
    const last = lastPrices[asset.symbol];
    const current = asset.symbol === selected;
    const rowClass = status.open ? "" : status.auction ? "auction" : "halted";
    return h("tr", { class: `${current ? "selected" : ""} ${rowClass}`.trim() },
      h("th", { scope: "row" },
        h("button", {
          type: "button", class: "market-button", "aria-current": current ? "true" : null,
          title: `Show the ${asset.symbol} market`, onClick: () => onSelect(asset.symbol),
        }, asset.symbol),
        h("span", { class: "market-name" }, asset.name),
        h("span", { class: `kind kind-${asset.kind}` }, kindLabel(asset.kind)),
        status.open ? null : status.auction ? h("span", { class: "auction-reason" }, `Call auction: ${status.reason}`)
          : h("span", { class: "halt-reason" }, `Halted: ${status.reason}`)),
      h("td", { class: "num" },
        h("span", { class: "last" }, last ? grouped(fixed(last, places(asset.tick_size))) : "—"),
        h("span", { class: `status ${statusClass(status)}`, title: asset.market_status },
          status.label)));
  });
  container.replaceChildren(h("table", { class: "markets-table" },
    h("caption", { class: "visually-hidden" }, "Markets"),
    h("thead", {}, h("tr", {},
      h("th", { scope: "col" }, "Market"), h("th", { scope: "col", class: "num" }, "Last · status"))),
    h("tbody", {}, rows)));
}
