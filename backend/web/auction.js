// The call auction panel: while a market is in a call (opening or reopening), its phase, a
// countdown to the uncross, the indicative price and matched quantity, and the imbalance
// (GET /v1/markets/{symbol}/auction, refreshed on every feed message).

import { fixed, grouped, isZero, places } from "./dec.js";
import { h } from "./dom.js";

/** Seconds left until `endsAt` (ISO), never negative; "" without an end. */
export function countdown(endsAt, now = Date.now()) {
  if (!endsAt) return "";
  const left = Math.max(0, Math.ceil((Date.parse(endsAt) - now) / 1000));
  const minutes = Math.floor(left / 60);
  const seconds = String(left % 60).padStart(2, "0");
  return `${minutes}:${seconds}`;
}

/** Render `call` (the REST body) into `container`; hidden outside a call. */
export function renderAuction(container, { call, asset }) {
  const active = Boolean(call && asset && call.phase && call.phase !== "none");
  container.hidden = !active;
  if (!active) {
    container.replaceChildren();
    return;
  }
  const dp = places(asset.tick_size);
  const price = (value) => (value == null ? "—" : grouped(fixed(value, dp)));
  const imbalance = call.imbalance_side && !isZero(call.imbalance_quantity)
    ? `${grouped(call.imbalance_quantity)} to ${call.imbalance_side}` : "none";
  const collars = call.collar_low != null ? `${price(call.collar_low)} – ${price(call.collar_high)}` : "none (no reference yet)";
  const fact = (name, value, id) => [h("dt", {}, name), h("dd", id ? { id } : {}, value)];
  container.replaceChildren(
    h("h2", { id: "auction-title" }, call.phase === "opening" ? "Opening call auction" : "Reopening call auction"),
    h("p", { class: "muted" },
      "Orders and cancels are accepted; nothing matches until the call ends and the book uncrosses at one price."),
    h("dl", { class: "facts auction-facts" },
      ...fact("Uncross in", countdown(call.ends_at), "auction-countdown"),
      ...fact("Indicative price", price(call.indicative_price), "auction-price"),
      ...fact("Matched", grouped(call.matched_quantity ?? "0"), "auction-matched"),
      ...fact("Imbalance", imbalance, "auction-imbalance"),
      ...fact("Reference", price(call.reference_price)),
      ...fact("Collars", collars),
      ...(call.extensions ? fact("Extensions", String(call.extensions)) : [])));
  container.dataset.endsAt = call.ends_at ?? "";
}

/** Tick the countdown once a second (the rest of the panel follows the feed). */
export function startCountdown(container) {
  setInterval(() => {
    const cell = container.querySelector("#auction-countdown");
    if (cell && container.dataset.endsAt) cell.textContent = countdown(container.dataset.endsAt);
  }, 1000);
}
