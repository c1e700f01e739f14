// Keeps a market's view fresh: the websocket feed (/v1/ws/markets/{symbol}) when it is
// available, REST polling every ~2 s otherwise. Any feed message triggers a REST refresh,
// so the screen always shows exactly what the REST API says.

const POLL_MS = 2000;
const SAFETY_POLL_MS = 10000; // while the websocket is live
const RECONNECT_MS = 3000;

export class MarketFeed {
  /**
   * @param {(symbol: string) => Promise<void>} refresh  reloads the market from REST
   * @param {(mode: "live"|"polling") => void} onMode
   */
  constructor(refresh, onMode) {
    this.refresh = refresh;
    this.onMode = onMode;
    this.symbol = null;
    this.socket = null;
    this.timer = null;
    this.pending = null;
    this.running = false;
    this.live = false;
    this.failures = 0;
  }

  watch(symbol) {
    if (symbol === this.symbol) return;
    this.stop();
    this.symbol = symbol;
    this.failures = 0;
    if (symbol) {
      this.connect();
      this.tick();
    }
  }

  stop() {
    clearTimeout(this.timer);
    clearTimeout(this.pending);
    if (this.socket) {
      this.socket.onclose = null;
      this.socket.close();
      this.socket = null;
    }
    this.setLive(false);
  }

  setLive(live) {
    this.live = live;
    this.onMode(live ? "live" : "polling");
  }

  connect() {
    // Two failed attempts in a row: the feed is not there; polling alone keeps us current.
    if (!("WebSocket" in window) || this.failures >= 2) return;
    const symbol = this.symbol;
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}/v1/ws/markets/${encodeURIComponent(symbol)}`);
    this.socket = socket;
    socket.onopen = () => {
      this.failures = 0;
      this.setLive(true);
    };
    socket.onmessage = (event) => {
      let message = null;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      if (message?.type === "heartbeat" || message?.type === "snapshot") return;
      this.soon();
    };
    socket.onerror = () => {}; // onclose follows and decides
    socket.onclose = (event) => {
      const wasLive = this.live;
      this.socket = null;
      this.setLive(false);
      if (symbol !== this.symbol) return;
      if (!wasLive) this.failures += 1;
      if (event.code === 1008) return; // unknown market: the REST views say so
      setTimeout(() => symbol === this.symbol && !this.socket && this.connect(), RECONNECT_MS);
    };
  }

  /** Refresh shortly (coalescing bursts of feed messages). */
  soon() {
    clearTimeout(this.pending);
    this.pending = setTimeout(() => this.tick(), 80);
  }

  async tick() {
    clearTimeout(this.timer);
    const symbol = this.symbol;
    if (!symbol) return;
    if (this.running) {
      this.timer = setTimeout(() => this.tick(), 200);
      return;
    }
    this.running = true;
    try {
      await this.refresh(symbol);
    } finally {
      this.running = false;
      if (symbol === this.symbol) this.timer = setTimeout(() => this.tick(), this.live ? SAFETY_POLL_MS : POLL_MS);
    }
  }
}

/** Run `fn` now and then every `ms`, never two at once; errors are the caller's to show. */
export function every(ms, fn) {
  let timer = null;
  let running = false;
  let again = false;
  const run = async () => {
    clearTimeout(timer);
    if (running) {
      again = true; // asked while running: run once more right after
      return;
    }
    running = true;
    try {
      await fn();
    } finally {
      running = false;
      if (again) {
        again = false;
        run();
      } else {
        timer = setTimeout(run, ms);
      }
    }
  };
  run();
  return { now: run };
}
