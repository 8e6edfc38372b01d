// The organizer console: draw, edit and delete geofences (polygons and circles) with
// Geoman; the API's verdict shows on the shape; live player positions and enter/exit
// events over Socket.IO; challenges and their leaderboard (challenges.js).
/* global L */
import {
  Api,
  config,
  connectSocket,
  el,
  formatTime,
  loginFlow,
  makeMap,
  textNode,
  toast,
} from "./common.js";
import { setupChallenges } from "./challenges.js";

const api = new Api("cyberspace.console");
const user = await loginFlow(api, { requireRole: "organizer" });

const map = makeMap("map");
const fences = new Map(); // fence id -> { fence, layer }
const challenges = setupChallenges({ api, user, fences });
let selectedId = null;
let drawn = 0;

map.pm.setGlobalOptions({ allowSelfIntersection: true, snappable: false });
map.pm.addControls({
  position: "topleft",
  drawMarker: false,
  drawCircleMarker: false,
  drawPolyline: false,
  drawText: false,
  cutPolygon: false,
  rotateMode: false,
});

// --- Shapes <-> API bodies ---------------------------------------------------------------

function geometryBody(layer) {
  if (layer instanceof L.Circle) {
    const c = layer.getLatLng();
    return { geometry: { type: "Point", coordinates: [c.lng, c.lat] }, radius_m: layer.getRadius() };
  }
  return { geometry: orient(layer.toGeoJSON(15).geometry) };
}

// RFC 7946 winding (exterior rings counter-clockwise, holes clockwise), which the API
// requires: a drawn ring's direction is just the order the organizer clicked in, so the
// console fixes it rather than showing an error about it. Shoelace sign over lng/lat.
function orient(geometry) {
  const signedArea = (ring) => {
    let sum = 0;
    for (let i = 0; i + 1 < ring.length; i++) {
      sum += ring[i][0] * ring[i + 1][1] - ring[i + 1][0] * ring[i][1];
    }
    return sum / 2;
  };
  const fix = (rings) =>
    rings.map((ring, i) => {
      const area = signedArea(ring);
      const wantPositive = i === 0;
      return area !== 0 && area > 0 !== wantPositive ? [...ring].reverse() : ring;
    });
  if (geometry.type === "Polygon") return { ...geometry, coordinates: fix(geometry.coordinates) };
  if (geometry.type === "MultiPolygon") {
    return { ...geometry, coordinates: geometry.coordinates.map(fix) };
  }
  return geometry;
}

function layerFor(fence, editable) {
  const style = editable
    ? { color: "#2563eb", weight: 2, fillOpacity: 0.15 }
    : { color: "#6b7280", weight: 1, fillOpacity: 0.05, dashArray: "4" };
  const options = { ...style, pmIgnore: !editable };
  if (fence.kind === "circle" && fence.center && fence.radius_m) {
    return L.circle([fence.center.lat, fence.center.lng], { ...options, radius: fence.radius_m });
  }
  const g = fence.geometry;
  const depth = g.type === "MultiPolygon" ? 2 : 1;
  return L.polygon(L.GeoJSON.coordsToLatLngs(g.coordinates, depth), options);
}

// --- Saving ------------------------------------------------------------------------------

function showError(layer, err) {
  clearError(layer);
  const where = err.details && err.details.location;
  layer.setStyle({ color: "#b00020", dashArray: "6" });
  layer
    .bindTooltip(textNode(err.message), {
      permanent: true,
      direction: "top",
      className: "fence-error",
      interactive: false,
    })
    .openTooltip(where ? [where.lat, where.lng] : undefined);
  if (where) {
    layer._errorMark = L.circleMarker([where.lat, where.lng], {
      radius: 6,
      color: "#b00020",
      fillOpacity: 1,
      pmIgnore: true,
    }).addTo(map);
  }
  layer._apiError = { status: err.status, code: err.code, message: err.message, details: err.details };
}

function clearError(layer) {
  if (layer._errorMark) layer._errorMark.remove();
  layer._errorMark = null;
  layer._apiError = null;
  layer.unbindTooltip();
}

async function saveLayer(layer) {
  const body = geometryBody(layer);
  try {
    let fence;
    if (layer._fenceId) {
      fence = await api.request("PATCH", `/api/geofences/${layer._fenceId}`, body);
    } else {
      const name = document.getElementById("new-name").value.trim() || `Fence ${++drawn}`;
      const dwell = Number.parseInt(document.getElementById("new-dwell").value, 10);
      fence = await api.request("POST", "/api/geofences", {
        ...body,
        name,
        tags: [],
        metadata: {},
        dwell_seconds: Number.isFinite(dwell) && dwell > 0 ? dwell : null,
      });
      layer._fenceId = fence.id;
    }
    clearError(layer);
    layer.setStyle({ color: "#2563eb", dashArray: null });
    remember(fence, layer);
    toast(`Saved ${fence.name}`, "success");
  } catch (err) {
    showError(layer, err);
  }
}

function remember(fence, layer) {
  fences.set(fence.id, { fence, layer });
  layer._fenceId = fence.id;
  if (!layer._selectHandler) {
    // Named, so Geoman's own click handlers (removal mode) are never touched.
    layer._selectHandler = () => select(layer._fenceId);
    layer.on("click", layer._selectHandler);
  }
  if (!layer._apiError) {
    layer.unbindTooltip();
    layer.bindTooltip(textNode(fence.name), { className: "fence-label", direction: "center" });
  }
  renderList();
  if (selectedId === fence.id) renderSelected();
}

function watchLayer(layer) {
  layer.on("pm:edit", () => saveLayer(layer));
}

map.on("pm:create", (event) => {
  const layer = event.layer;
  watchLayer(layer);
  saveLayer(layer);
});

map.on("pm:remove", async (event) => {
  const layer = event.layer;
  if (layer._errorMark) layer._errorMark.remove();
  if (!layer._fenceId) return;
  try {
    await api.request("DELETE", `/api/geofences/${layer._fenceId}`);
    fences.delete(layer._fenceId);
    if (selectedId === layer._fenceId) selectedId = null;
    renderList();
    renderSelected();
    toast("Geofence deleted", "success");
  } catch (err) {
    layer.addTo(map); // the API said no: put it back
    showError(layer, err);
  }
});

// --- Loading what is in view -------------------------------------------------------------

async function loadFences() {
  const b = map.getBounds();
  const bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(6));
  let cursor = null;
  for (let page = 0; page < 10; page++) {
    const query = `bbox=${bbox.join(",")}&limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
    let body;
    try {
      body = await api.request("GET", `/api/geofences?${query}`);
    } catch (err) {
      toast(`Geofences: ${err.message}`, "error");
      return;
    }
    for (const fence of body.items) {
      const known = fences.get(fence.id);
      if (known && known.fence.version === fence.version) continue;
      if (known) known.layer.remove();
      const editable = fence.owner_id === user.id || user.roles.includes("admin");
      const layer = layerFor(fence, editable).addTo(map);
      if (editable) watchLayer(layer);
      remember(fence, layer);
    }
    cursor = body.next_cursor;
    if (!cursor) break;
  }
}
let loadTimer = null;
map.on("moveend", () => {
  clearTimeout(loadTimer);
  loadTimer = setTimeout(loadFences, 250);
});

// --- Side panel --------------------------------------------------------------------------

function renderList() {
  const list = document.getElementById("fences");
  list.replaceChildren();
  const mine = [...fences.values()].filter(({ fence }) => fence.owner_id === user.id);
  for (const { fence } of mine.sort((a, b) => a.fence.name.localeCompare(b.fence.name))) {
    list.append(
      el(
        "li",
        { dataset: { fenceId: fence.id }, "data-testid": "fence-item" },
        el("a", { href: "#", onclick: (e) => (e.preventDefault(), select(fence.id, true)) }, fence.name),
        " ",
        el("span", { class: "muted" }, `${fence.kind} · v${fence.version} · ${Math.round(fence.area_m2 || 0)} m²`),
      ),
    );
  }
  if (!mine.length) list.append(el("li", { class: "muted" }, "None in view yet: draw one."));
}

function select(id, fly = false) {
  selectedId = id;
  const known = fences.get(id);
  if (known && fly) map.fitBounds(known.layer.getBounds(), { maxZoom: map.getZoom() });
  renderSelected();
}

function renderSelected() {
  const box = document.getElementById("selected");
  const known = selectedId && fences.get(selectedId);
  if (!known) {
    box.replaceChildren(el("p", { class: "muted" }, "Click a geofence."));
    return;
  }
  const { fence } = known;
  const editable = fence.owner_id === user.id || user.roles.includes("admin");
  const name = el("input", { type: "text", value: fence.name, "data-testid": "fence-name", disabled: !editable });
  const dwell = el("input", { type: "number", min: "1", value: fence.dwell_seconds ?? "", disabled: !editable });
  const error = el("p", { class: "error" });
  const save = el(
    "button",
    {
      disabled: !editable,
      onclick: async () => {
        error.textContent = "";
        try {
          const d = Number.parseInt(dwell.value, 10);
          const updated = await api.request("PATCH", `/api/geofences/${fence.id}`, {
            name: name.value.trim(),
            dwell_seconds: Number.isFinite(d) && d > 0 ? d : null,
          });
          remember(updated, known.layer);
          toast(`Saved ${updated.name}`, "success");
        } catch (err) {
          error.textContent = err.message;
        }
      },
    },
    "Save",
  );
  box.replaceChildren(
    el("label", {}, "Name ", name),
    el("label", {}, "Dwell threshold (s) ", dwell),
    el("p", { class: "muted" }, `${fence.kind}, version ${fence.version}, id ${fence.id}`),
    save,
    error,
  );
  challenges.renderFor(fence);
}

// --- Live: players and events ------------------------------------------------------------

const players = new Map(); // user id -> { marker, data }

function showPlayer(data) {
  const label = data.username || data.user_id;
  let entry = players.get(data.user_id);
  if (!entry) {
    const marker = L.circleMarker([data.lat, data.lng], { radius: 7, color: "#047857", fillOpacity: 0.8, pmIgnore: true })
      .bindTooltip(textNode(label), { permanent: true, direction: "right", className: "fence-label" })
      .addTo(map);
    entry = { marker, data };
    players.set(data.user_id, entry);
  }
  entry.data = data;
  entry.marker.setLatLng([data.lat, data.lng]).setStyle({ opacity: 1, fillOpacity: 0.8 });
  const list = document.getElementById("players");
  list.replaceChildren(
    ...[...players.values()].map(({ data: p }) =>
      el(
        "li",
        { dataset: { userId: p.user_id }, "data-testid": "player-item" },
        el("strong", {}, p.username || p.user_id),
        el("span", { class: "muted" }, ` ${p.lat.toFixed(5)}, ${p.lng.toFixed(5)} · ${formatTime(p.timestamp)}`),
      ),
    ),
  );
}

const seenEvents = new Set();
function showEvent(type, data) {
  if (data.event_id) {
    if (seenEvents.has(data.event_id)) return;
    seenEvents.add(data.event_id);
  }
  challenges.onFenceEvent(data);
  const player = players.get(data.user_id);
  if (player) {
    // Positions only come while a player is inside one of my fences: fade on exit.
    const inside = type !== "geofence_exit";
    player.marker.setStyle({ opacity: inside ? 1 : 0.4, fillOpacity: inside ? 0.8 : 0.2 });
  }
  const verb = { geofence_enter: "entered", geofence_exit: "left", geofence_dwell: "is staying in" }[type];
  const who = data.username || data.user_id;
  const fence = data.fence_name || (fences.get(data.fence_id) || { fence: {} }).fence.name || data.fence_id;
  const list = document.getElementById("events");
  list.prepend(
    el(
      "li",
      { class: `event-${type.split("_")[1]}`, dataset: { type, fenceId: data.fence_id, userId: data.user_id }, "data-testid": "event-item" },
      el("span", { class: "muted" }, `${formatTime(data.timestamp)} `),
      `${who} ${verb} ${fence}`,
    ),
  );
  while (list.children.length > 200) list.lastChild.remove();
}

// After a reload: the latest events of my fences in view, from the durable event log.
async function loadRecentEvents() {
  const mine = [...fences.values()].filter(({ fence }) => fence.owner_id === user.id).slice(0, 10);
  const pages = await Promise.all(
    mine.map(({ fence }) =>
      api.request("GET", `/api/geofences/${fence.id}/events?limit=20`).catch(() => ({ items: [] })),
    ),
  );
  const items = pages.flatMap((p) => p.items || []);
  items.sort((a, b) => String(a.timestamp).localeCompare(String(b.timestamp)));
  for (const item of items) {
    const known = fences.get(item.fence_id);
    showEvent(item.type, {
      ...item.data,
      event_id: item.event_id,
      fence_id: item.fence_id,
      user_id: item.user_id,
      timestamp: item.timestamp,
      fence_name: (item.data && item.data.fence_name) || (known && known.fence.name),
    });
  }
}

const setStatus = (text) => {
  document.getElementById("status").textContent = `live: ${text}`;
};
const handlers = {
  player_position: showPlayer,
  geofence_enter: (d) => showEvent("geofence_enter", d),
  geofence_exit: (d) => showEvent("geofence_exit", d),
  geofence_dwell: (d) => showEvent("geofence_dwell", d),
  challenge_progress: (d) => challenges.onProgress(d),
  challenge_completed: (d) => challenges.onProgress(d),
};
connectSocket(api, handlers, setStatus);

await loadFences();
renderList();
await Promise.all([challenges.load(), loadRecentEvents()]);
// Tests and curious users: the page's state.
window.cyberspaceConsole = { map, fences, players, config, api };
