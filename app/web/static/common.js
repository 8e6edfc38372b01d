// Shared by the organizer console and the player map: page config, the API client (login,
// token refresh, the standard error body), the base map with its offline grid, the
// Socket.IO connection and small DOM helpers. Plain ES module: no bundler, no CDN.
/* global L, io */

export const config = JSON.parse(
  document.querySelector('meta[name="cyberspace-config"]').getAttribute("content"),
);

// An API error: `status` (HTTP), `code`, `message` and `details` of the standard body.
export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details || {};
  }
}

// Bearer-token client. Tokens live in sessionStorage (one tab = one login; nothing survives
// the browser closing), access tokens are refreshed once on a 401 and the call retried.
export class Api {
  constructor(storageKey) {
    this.storageKey = storageKey;
    const saved = JSON.parse(sessionStorage.getItem(storageKey) || "null");
    this.accessToken = saved ? saved.accessToken : null;
    this.refreshToken = saved ? saved.refreshToken : null;
    this.user = null;
    this.refreshing = null;
  }

  save() {
    sessionStorage.setItem(
      this.storageKey,
      JSON.stringify({ accessToken: this.accessToken, refreshToken: this.refreshToken }),
    );
  }

  forget() {
    this.accessToken = this.refreshToken = this.user = null;
    sessionStorage.removeItem(this.storageKey);
  }

  async login(username, password) {
    const form = new URLSearchParams({ grant_type: "password", username, password, device: "web" });
    const response = await fetch("/api/auth/token", { method: "POST", body: form });
    const body = await parseBody(response);
    if (!response.ok) throw toError(response, body);
    this.accessToken = body.access_token;
    this.refreshToken = body.refresh_token;
    this.save();
    return this.me();
  }

  async me() {
    this.user = await this.request("GET", "/api/users/me");
    return this.user;
  }

  async logout() {
    try {
      if (this.accessToken) await this.request("POST", "/api/auth/logout");
    } finally {
      this.forget();
    }
  }

  // One refresh at a time: parallel 401s wait for the same rotation (a refresh token works
  // once; spending it twice would revoke the session).
  refresh() {
    if (!this.refreshing) {
      this.refreshing = (async () => {
        try {
          if (!this.refreshToken) throw new ApiError(401, "unauthorized", "Please log in", {});
          const response = await fetch("/api/auth/refresh", {
            method: "POST",
            headers: { "Content-Type": "application/json" },
            body: JSON.stringify({ refresh_token: this.refreshToken }),
          });
          const body = await parseBody(response);
          if (!response.ok) {
            this.forget();
            throw toError(response, body);
          }
          this.accessToken = body.access_token;
          this.refreshToken = body.refresh_token;
          this.save();
        } finally {
          this.refreshing = null;
        }
      })();
    }
    return this.refreshing;
  }

  async request(method, path, body, { retry = true } = {}) {
    const headers = { Accept: "application/json" };
    if (this.accessToken) headers.Authorization = `Bearer ${this.accessToken}`;
    const init = { method, headers };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await fetch(path, init);
    if (response.status === 401 && retry && this.refreshToken) {
      await this.refresh();
      return this.request(method, path, body, { retry: false });
    }
    const parsed = await parseBody(response);
    if (!response.ok) throw toError(response, parsed);
    return parsed;
  }
}

async function parseBody(response) {
  if (response.status === 204) return null;
  const text = await response.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return { raw: text };
  }
}

function toError(response, body) {
  const error = body && body.error;
  if (error) return new ApiError(response.status, error.code, error.message, error.details);
  return new ApiError(response.status, "http_error", `HTTP ${response.status}`, {});
}

// --- Base map -------------------------------------------------------------------------

// A plain canvas grid with coordinates: drawn in the browser, so the map is usable offline
// and when no tile server is configured.
const OfflineGrid = L.GridLayer.extend({
  createTile(coords) {
    const tile = document.createElement("canvas");
    const size = this.getTileSize();
    tile.width = size.x;
    tile.height = size.y;
    const ctx = tile.getContext("2d");
    ctx.fillStyle = "#f4f1ea";
    ctx.fillRect(0, 0, size.x, size.y);
    ctx.strokeStyle = "#d6d0c4";
    ctx.lineWidth = 1;
    ctx.strokeRect(0.5, 0.5, size.x, size.y);
    ctx.strokeStyle = "#e6e1d6";
    for (const f of [0.25, 0.5, 0.75]) {
      ctx.beginPath();
      ctx.moveTo(f * size.x, 0);
      ctx.lineTo(f * size.x, size.y);
      ctx.moveTo(0, f * size.y);
      ctx.lineTo(size.x, f * size.y);
      ctx.stroke();
    }
    const nw = this._map.unproject(coords.scaleBy(size), coords.z);
    ctx.fillStyle = "#9a927f";
    ctx.font = "10px sans-serif";
    ctx.fillText(`${nw.lat.toFixed(4)}, ${nw.lng.toFixed(4)}`, 4, 12);
    return tile;
  },
});

export function makeMap(element, { center, zoom } = {}) {
  const map = L.map(element, { zoomControl: true }).setView(
    center || config.center,
    zoom || config.zoom,
  );
  const grid = new OfflineGrid({ maxZoom: 22, attribution: "Offline grid" });
  grid.addTo(map);
  const bases = { "Offline grid": grid };
  if (config.tileUrl) {
    const tiles = L.tileLayer(config.tileUrl, {
      maxZoom: config.tileMaxZoom,
      attribution: config.tileAttribution,
    });
    // Tiles draw above the grid; where a tile fails (offline) the grid shows through.
    tiles.addTo(map);
    bases.Tiles = tiles;
    L.control.layers(null, { "Map tiles": tiles }).addTo(map);
  }
  L.control.scale({ imperial: false }).addTo(map);
  return map;
}

// --- Socket.IO ------------------------------------------------------------------------

// One connection per page. The token is read at every (re)connect, so a refreshed token is
// used; a refused handshake (expired token) refreshes once and reconnects.
export function connectSocket(api, handlers, onStatus) {
  const socket = io({
    path: config.socketPath,
    transports: ["websocket", "polling"],
    auth: (cb) => cb({ token: api.accessToken }),
  });
  let refreshedAt = 0;
  socket.on("connect", () => onStatus && onStatus("connected"));
  socket.on("disconnect", (reason) => onStatus && onStatus(`disconnected (${reason})`));
  socket.on("connect_error", async (err) => {
    onStatus && onStatus(`connection refused: ${err.message}`);
    if (socket.active) return; // the client retries by itself
    if (Date.now() - refreshedAt > 10000) {
      refreshedAt = Date.now();
      try {
        await api.refresh();
        socket.connect();
      } catch {
        onStatus && onStatus("logged out");
      }
    }
  });
  // The same login opened its socket elsewhere (a duplicated tab): this one is closed by the
  // server and stays closed, so two tabs never take the connection from each other in turn.
  socket.on("session_replaced", () => onStatus && onStatus("taken over by another tab"));
  for (const [event, handler] of Object.entries(handlers)) socket.on(event, handler);
  return socket;
}

// --- Geometry for display ------------------------------------------------------------

const R = 6371008.8;
const rad = (d) => (d * Math.PI) / 180;

// Spherical great-circle distance: for live display between server answers only; the
// server's geodesic figures are what the lists show.
export function sphericalDistance(a, b) {
  const dLat = rad(b.lat - a.lat);
  const dLng = rad(b.lng - a.lng);
  const h =
    Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.sin(dLng / 2) ** 2;
  return 2 * R * Math.asin(Math.min(1, Math.sqrt(h)));
}

export function sphericalBearing(a, b) {
  const y = Math.sin(rad(b.lng - a.lng)) * Math.cos(rad(b.lat));
  const x =
    Math.cos(rad(a.lat)) * Math.sin(rad(b.lat)) -
    Math.sin(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.cos(rad(b.lng - a.lng));
  return ((Math.atan2(y, x) * 180) / Math.PI + 360) % 360;
}

export function formatDistance(m) {
  if (m < 1) return "here";
  return m < 1000 ? `${m.toFixed(0)} m` : `${(m / 1000).toFixed(2)} km`;
}

const COMPASS = ["N", "NE", "E", "SE", "S", "SW", "W", "NW"];
export function formatBearing(deg) {
  return `${deg.toFixed(0)}° ${COMPASS[Math.round(deg / 45) % 8]}`;
}

export function formatTime(iso) {
  const d = iso ? new Date(iso) : new Date();
  return d.toLocaleTimeString([], { hour12: false });
}

// --- DOM helpers ----------------------------------------------------------------------

// el("li", {class: "x", dataset: {id}}, "text", child...) — text is always set as text.
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// Leaflet puts string tooltip content in as HTML; names and messages come from users, so
// tooltips always get an element holding plain text.
export function textNode(text) {
  return el("span", {}, text);
}

export function toast(message, kind = "info") {
  const box = document.getElementById("toasts");
  const item = el("div", { class: `toast toast-${kind}`, role: "status" }, message);
  box.prepend(item);
  setTimeout(() => item.remove(), 8000);
}

// Wires the login form of a page; resolves with the user once logged in (or already).
export async function loginFlow(api, { requireRole } = {}) {
  const form = document.getElementById("login-form");
  const errorBox = document.getElementById("login-error");
  const tryUser = async () => {
    if (!api.accessToken) return null;
    try {
      return await api.me();
    } catch {
      api.forget();
      return null;
    }
  };
  let user = await tryUser();
  while (!user || (requireRole && !user.roles.includes(requireRole))) {
    if (user) {
      errorBox.textContent = `${user.username} is not an ${requireRole}: log in as one.`;
      api.forget();
    }
    document.getElementById("login").hidden = false;
    document.getElementById("app").hidden = true;
    user = await new Promise((resolve) => {
      form.onsubmit = async (event) => {
        event.preventDefault();
        errorBox.textContent = "";
        try {
          resolve(await api.login(form.username.value, form.password.value));
        } catch (err) {
          errorBox.textContent = err.message;
        }
      };
    });
  }
  document.getElementById("login").hidden = true;
  document.getElementById("app").hidden = false;
  document.getElementById("whoami").textContent = user.username;
  document.getElementById("logout").hidden = false;
  document.getElementById("logout").onclick = async () => {
    await api.logout();
    location.reload();
  };
  return user;
}
