// Exact decimal strings, as the API sends them ("12.5"), computed with BigInt.
// Money and quantities never pass through floats here; toNumber() exists only for
// geometry (chart coordinates, depth-bar widths).

const PATTERN = /^\s*(-)?(\d*)(?:\.(\d*))?\s*$/;

function parse(value) {
  const match = PATTERN.exec(String(value ?? ""));
  if (!match || (match[2] === "" && (match[3] ?? "") === "")) throw new RangeError(`not a decimal: ${value}`);
  const fraction = match[3] ?? "";
  return { units: BigInt(`${match[1] ?? ""}${match[2] || "0"}${fraction}`), scale: fraction.length };
}

function align(a, b) {
  const scale = Math.max(a.scale, b.scale);
  return [a.units * 10n ** BigInt(scale - a.scale), b.units * 10n ** BigInt(scale - b.scale), scale];
}

function render(units, scale) {
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString().padStart(scale + 1, "0");
  const whole = digits.slice(0, digits.length - scale);
  const fraction = digits.slice(digits.length - scale).replace(/0+$/, "");
  const text = fraction ? `${whole}.${fraction}` : whole;
  return negative && text !== "0" ? `-${text}` : text;
}

export function isDecimal(value) {
  try {
    parse(value);
    return true;
  } catch {
    return false;
  }
}

export function add(a, b) {
  const [x, y, scale] = align(parse(a), parse(b));
  return render(x + y, scale);
}

export function sub(a, b) {
  const [x, y, scale] = align(parse(a), parse(b));
  return render(x - y, scale);
}

export function mul(a, b) {
  const x = parse(a);
  const y = parse(b);
  return render(x.units * y.units, x.scale + y.scale);
}

export function cmp(a, b) {
  const [x, y] = align(parse(a), parse(b));
  return x < y ? -1 : x > y ? 1 : 0;
}

export function isZero(a) {
  return parse(a).units === 0n;
}

/** Number of decimal places of a step such as a tick size ("0.01" -> 2, "5" -> 0). */
export function places(step) {
  return render(parse(step).units, parse(step).scale).split(".")[1]?.length ?? 0;
}

/** Pad (never round) to at least `digits` decimal places: fixed("12.5", 2) -> "12.50". */
export function fixed(value, digits) {
  if (value === null || value === undefined || value === "") return "";
  const { units, scale } = parse(value);
  const text = render(units, scale);
  const [whole, fraction = ""] = text.split(".");
  return digits > 0 || fraction ? `${whole}.${fraction.padEnd(digits, "0")}` : whole;
}

/** Group thousands of the integer part: "12345.5" -> "12,345.5". */
export function grouped(text) {
  const [whole, fraction] = String(text).split(".");
  const sign = whole.startsWith("-") ? "-" : "";
  const digits = whole.replace("-", "").replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `${sign}${digits}${fraction !== undefined ? `.${fraction}` : ""}`;
}

/** For drawing only. */
export function toNumber(value) {
  return Number(value);
}
