// The public REST API of the exchange (docs/API.md), and nothing else.

const KEY_STORAGE = "rwa.apiKey";

export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }

  toString() {
    return `${this.code}: ${this.message}`;
  }
}

export const apiKey = {
  get() {
    try {
      return localStorage.getItem(KEY_STORAGE) ?? "";
    } catch {
      return "";
    }
  },
  set(value) {
    localStorage.setItem(KEY_STORAGE, value);
  },
  clear() {
    localStorage.removeItem(KEY_STORAGE);
  },
};

function url(path, query) {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== null && value !== "") params.set(name, String(value));
  }
  const search = params.toString();
  return search ? `${path}?${search}` : path;
}

/** Fetch JSON; an error response becomes an ApiError carrying the envelope's code and message. */
export async function request(method, path, { body, query, auth = false, raw = false } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (auth) {
    const key = apiKey.get();
    if (!key) throw new ApiError(401, "auth.missing_key", "paste an investor API key first");
    headers["X-API-Key"] = key;
  }
  let response;
  try {
    response = await fetch(url(path, query), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
    });
  } catch (error) {
    throw new ApiError(0, "network.unreachable", `the service did not answer (${error.message})`);
  }
  const text = await response.text();
  if (!response.ok) {
    let envelope = null;
    try {
      envelope = JSON.parse(text).error;
    } catch {
      envelope = null;
    }
    throw new ApiError(response.status, envelope?.code ?? `http.${response.status}`,
      envelope?.message ?? (response.statusText || "request failed"), envelope?.details);
  }
  if (raw) return text;
  return text ? JSON.parse(text) : null;
}

const enc = encodeURIComponent;

export const api = {
  health: () => request("GET", "/health"),
  assets: () => request("GET", "/v1/assets"),
  asset: (symbol) => request("GET", `/v1/assets/${enc(symbol)}`),
  book: (symbol, depth = 15) => request("GET", `/v1/markets/${enc(symbol)}/book`, { query: { depth } }),
  auction: (symbol) => request("GET", `/v1/markets/${enc(symbol)}/auction`),
  marketTrades: (symbol, limit = 60) => request("GET", `/v1/markets/${enc(symbol)}/trades`, { query: { limit } }),
  documents: (symbol) => request("GET", `/v1/assets/${enc(symbol)}/documents`),
  verifyDocument: (id) => request("GET", `/v1/documents/${enc(id)}/verify`),
  documentContentUrl: (id) => `/v1/documents/${enc(id)}/content`,
  account: () => request("GET", "/v1/account", { auth: true }),
  orders: (limit = 50) => request("GET", "/v1/orders", { auth: true, query: { limit } }),
  myTrades: (limit = 50) => request("GET", "/v1/trades", { auth: true, query: { limit } }),
  typedData: (order) => request("POST", "/v1/orders/typed-data", { auth: true, body: order, raw: true }),
  placeOrder: (order) => request("POST", "/v1/orders", { auth: true, body: order }),
  cancelOrder: (id) => request("DELETE", `/v1/orders/${enc(id)}`, { auth: true }),
};
