// A small hand-drawn SVG line chart of recent trade prices (oldest left, newest right).

import { cmp, fixed, grouped, places, toNumber } from "./dec.js";
import { h, s, timeOf } from "./dom.js";

const HEIGHT = 200;
const PAD = { left: 10, right: 70, top: 14, bottom: 24 };

export function renderChart(container, { trades, asset }) {
  if (!asset) {
    container.replaceChildren();
    return;
  }
  const points = [...trades].reverse();
  if (!points.length) {
    container.replaceChildren(h("p", { class: "empty chart-empty" }, "No trades yet: the chart starts with the first trade."));
    return;
  }
  const digits = places(asset.tick_size);
  const width = Math.max(280, Math.round(container.clientWidth || 600));
  const plotW = width - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const prices = points.map((t) => toNumber(t.price));
  const times = points.map((t) => Date.parse(t.executed_at));
  let low = Math.min(...prices);
  let high = Math.max(...prices);
  if (high === low) {
    const margin = Math.max(Math.abs(high) * 0.02, toNumber(asset.tick_size) * 2, 1e-9);
    low -= margin;
    high += margin;
  } else {
    const margin = (high - low) * 0.08;
    low -= margin;
    high += margin;
  }
  const t0 = times[0];
  const span = times.at(-1) - t0;
  const xs = points.map((_, i) => {
    const share = span > 0 ? (times[i] - t0) / span : points.length > 1 ? i / (points.length - 1) : 1;
    return PAD.left + share * plotW;
  });
  const y = (price) => PAD.top + (1 - (price - low) / (high - low)) * plotH;
  const ys = prices.map(y);
  const line = xs.map((x, i) => `${i ? "L" : "M"}${x.toFixed(1)},${ys[i].toFixed(1)}`).join(" ");
  const bottom = PAD.top + plotH;
  const area = `${line} L${xs.at(-1).toFixed(1)},${bottom} L${xs[0].toFixed(1)},${bottom} Z`;

  const last = points.at(-1);
  const lastY = ys.at(-1);
  const grid = [0, 0.5, 1].map((share) => {
    const price = high - share * (high - low);
    const gy = PAD.top + share * plotH;
    const hidden = Math.abs(gy - lastY) < 16; // the last-price tag sits there
    return s("g", { class: "grid" },
      s("line", { x1: PAD.left, x2: PAD.left + plotW, y1: gy, y2: gy }),
      hidden ? null : s("text", { x: PAD.left + plotW + 6, y: gy + 4 }, grouped(price.toFixed(digits))));
  });
  const rising = prices.length < 2 || prices.at(-1) >= prices[0];
  const lastText = grouped(fixed(last.price, digits));
  const lowest = points.reduce((m, t) => (cmp(t.price, m) < 0 ? t.price : m), points[0].price);
  const highest = points.reduce((m, t) => (cmp(t.price, m) > 0 ? t.price : m), points[0].price);
  const label = `Price chart of the last ${points.length} trades: last ${lastText}, ` +
    `low ${grouped(fixed(lowest, digits))}, high ${grouped(fixed(highest, digits))}`;
  const svg = s("svg", {
    class: `chart ${rising ? "rising" : "falling"}`, width, height: HEIGHT, viewBox: `0 0 ${width} ${HEIGHT}`,
    role: "img", "aria-label": label,
  },
  s("defs", {}, s("linearGradient", { id: "chart-fill", x1: 0, x2: 0, y1: 0, y2: 1 },
    s("stop", { offset: "0%", class: "fill-top" }), s("stop", { offset: "100%", class: "fill-bottom" }))),
  grid,
  s("path", { class: "area", d: area, fill: "url(#chart-fill)" }),
  s("path", { class: "line", d: line }),
  xs.map((x, i) => s("circle", { class: "dot", cx: x.toFixed(1), cy: ys[i].toFixed(1), r: points.length > 40 ? 0 : 2.5 },
    s("title", {}, `${timeOf(points[i].executed_at)}  ${points[i].quantity} @ ${points[i].price}`))),
  s("g", { class: "last-tag" },
    s("line", { x1: PAD.left, x2: PAD.left + plotW, y1: lastY, y2: lastY }),
    s("rect", { x: PAD.left + plotW + 2, y: lastY - 10, width: PAD.right - 4, height: 20, rx: 4 }),
    s("text", { x: PAD.left + plotW + 6, y: lastY + 4 }, lastText)),
  s("text", { class: "axis", x: PAD.left, y: HEIGHT - 6 }, timeOf(points[0].executed_at)),
  s("text", { class: "axis", x: PAD.left + plotW, y: HEIGHT - 6, "text-anchor": "end" }, timeOf(last.executed_at)));
  container.replaceChildren(svg);
}
