// The player map: my position (device location or a draggable marker), nearby NFTs with
// distance and bearing, spaces and portals, live alerts over Socket.IO, claiming NFTs.
/* global L */
import {
  Api,
  ApiError,
  config,
  connectSocket,
  el,
  formatBearing,
  formatDistance,
  formatTime,
  loginFlow,
  makeMap,
  textNode,
  toast,
} from "./common.js";

const NEARBY_RADIUS_M = 1000;
const KIND_COLORS = { nft: "#d97706", space: "#2563eb", portal: "#7c3aed", marker: "#6b7280" };

const api = new Api("cyberspace.map");
await loginFlow(api);

const params = new URLSearchParams(location.search);
const fromQuery = (name, fallback, limit) => {
  const value = Number.parseFloat(params.get(name));
  return Number.isFinite(value) && Math.abs(value) <= limit ? value : fallback;
};
const start = { lat: fromQuery("lat", config.center[0], 90), lng: fromQuery("lng", config.center[1], 180) };
const state = {
  position: { ...start, accuracy_m: 10 },
  nfts: [],
  places: [],
  claimed: new Map(), // nft id -> item: claimed here, kept in the list
  actionable: new Set(), // ids of real spaces / portals (joinable / enterable)
  outcomes: new Map(), // id -> last join / enter / claim outcome shown under the item
};

const map = makeMap("map", { center: [start.lat, start.lng] });
const me = L.marker([start.lat, start.lng], { draggable: true, title: "You", autoPan: true });
me.addTo(map).bindTooltip("You", { permanent: false });
const accuracy = L.circle([start.lat, start.lng], {
  radius: 10,
  color: "#2563eb",
  weight: 1,
  fillOpacity: 0.1,
  interactive: false,
}).addTo(map);
const objects = L.layerGroup().addTo(map);

me.on("dragend", () => {
  const { lat, lng } = me.getLatLng();
  moveTo(lat, lng, 5);
});

// --- Position ----------------------------------------------------------------------------

let gpsWatch = null;
document.getElementById("use-gps").addEventListener("change", (event) => {
  if (event.target.checked) {
    if (!("geolocation" in navigator)) {
      toast("This browser has no geolocation", "error");
      event.target.checked = false;
      return;
    }
    me.dragging.disable();
    gpsWatch = navigator.geolocation.watchPosition(
      (pos) => moveTo(pos.coords.latitude, pos.coords.longitude, pos.coords.accuracy),
      (err) => toast(`Location unavailable: ${err.message}`, "error"),
      { enableHighAccuracy: true, maximumAge: 5000 },
    );
  } else {
    if (gpsWatch !== null) navigator.geolocation.clearWatch(gpsWatch);
    gpsWatch = null;
    me.dragging.enable();
  }
});

function moveTo(lat, lng, accuracyM) {
  state.position = { lat, lng, accuracy_m: Math.max(1, accuracyM || 5) };
  me.setLatLng([lat, lng]);
  accuracy.setLatLng([lat, lng]).setRadius(state.position.accuracy_m);
  renderPosition();
  sendLocation();
  refreshNearby();
}

function renderPosition() {
  const { lat, lng, accuracy_m: acc } = state.position;
  document.getElementById("position").textContent =
    `${lat.toFixed(6)}, ${lng.toFixed(6)} (±${acc.toFixed(0)} m)`;
}

// Location updates go through REST (POST /api/locations): the same checks and geofence
// engine as the Socket.IO path; proximity alerts then arrive over the socket.
let sending = Promise.resolve();
function sendLocation() {
  const fix = { ...state.position, timestamp: new Date().toISOString() };
  sending = sending.then(async () => {
    const box = document.getElementById("update-result");
    try {
      const body = await api.request("POST", "/api/locations", fix);
      const result = (body.results || [])[0] || {};
      box.textContent = result.accepted
        ? `Update accepted at ${formatTime(fix.timestamp)}`
        : `Update refused: ${result.reason || "unknown"}`;
      box.dataset.accepted = String(Boolean(result.accepted));
      box.dataset.count = String(Number(box.dataset.count || 0) + 1);
      for (const event of result.events || []) {
        showEvent(event.type, { ...event.data, ...event, fence_name: event.fence_name });
      }
    } catch (err) {
      box.textContent = `Update failed: ${err.message}`;
      box.dataset.accepted = "false";
      box.dataset.count = String(Number(box.dataset.count || 0) + 1);
    }
  });
  return sending;
}

// --- Nearby ------------------------------------------------------------------------------

let nearbyRun = 0;
async function refreshNearby() {
  const run = ++nearbyRun;
  const { lat, lng } = state.position;
  const query = `lat=${lat}&lng=${lng}&radius_m=${NEARBY_RADIUS_M}`;
  let nfts = null;
  try {
    const page = await api.request("GET", `/api/nfts/nearby?${query}&limit=50`);
    nfts = page.items || [];
  } catch (err) {
    // Without the NFT registry, the generic nearby list still shows NFT placements.
    if (!(err instanceof ApiError && err.status === 404)) toast(err.message, "error");
  }
  let places = [];
  const [generic, spaces, portals] = await Promise.all([
    api.request("GET", `/api/nearby?${query}&limit=100`).catch((err) => {
      toast(err.message, "error");
      return { items: [] };
    }),
    // Which of them are real spaces / portals (joinable, enterable): the rest are plain
    // placements of that kind.
    api.request("GET", `/api/spaces/nearby?${query}&limit=100`).catch(() => ({ items: [] })),
    api.request("GET", `/api/portals/nearby?${query}&limit=100`).catch(() => ({ items: [] })),
  ]);
  places = generic.items || [];
  state.actionable = new Set([...(spaces.items || []), ...(portals.items || [])].map((x) => x.id));
  if (run !== nearbyRun) return; // a newer position's answer wins
  state.nfts = nfts !== null ? nfts.map(normalizeNft) : places.filter((p) => p.kind === "nft").map(genericNft);
  state.places = places.filter((p) => p.kind === "space" || p.kind === "portal");
  renderNearby();
}

// /api/nfts/nearby item -> what the list needs (tolerant of field naming).
function normalizeNft(item) {
  const loc = item.location || {};
  return {
    nftId: item.nft_id || item.id,
    title: item.name || (item.metadata && item.metadata.name) || item.nft_id || item.id,
    lat: item.lat ?? loc.lat,
    lng: item.lng ?? loc.lng,
    distance: item.distance_m,
    bearing: item.bearing_deg,
    claimRadius: item.claim_radius_m ?? null,
    hint: item.hint || "",
    claimable: true,
  };
}

function genericNft(item) {
  return {
    nftId: item.id,
    title: item.title,
    lat: item.lat,
    lng: item.lng,
    distance: item.distance_m,
    bearing: item.bearing_deg,
    claimRadius: null,
    hint: "",
    claimable: false,
  };
}

function renderNearby() {
  objects.clearLayers();
  const nftList = document.getElementById("nfts");
  nftList.replaceChildren();
  // Claimed NFTs leave nearby (their placement closes) but stay listed as mine.
  const listed = [...state.nfts.filter((n) => !state.claimed.has(n.nftId)), ...state.claimed.values()];
  for (const nft of listed) {
    const claimed = state.claimed.has(nft.nftId);
    const close = nft.claimRadius !== null && nft.distance <= nft.claimRadius;
    const button = el(
      "button",
      {
        "data-testid": "claim",
        disabled: !nft.claimable || !close || claimed,
        onclick: () => claim(nft, button),
      },
      claimed ? "Claimed" : "Claim",
    );
    const note = claimed ? "yours now" : nft.claimRadius !== null && !close ? `get within ${nft.claimRadius.toFixed(0)} m` : "";
    nftList.append(
      el(
        "li",
        { dataset: { nftId: nft.nftId, claimed: String(claimed) }, "data-testid": "nft-item" },
        el(
          "div",
          { class: "row" },
          el("strong", {}, nft.title),
          el("span", { "data-testid": "nft-distance" }, formatDistance(nft.distance)),
        ),
        el(
          "div",
          { class: "row" },
          el("span", { class: "muted" }, `${nft.distance < 1 ? "" : `bearing ${formatBearing(nft.bearing)} `}${nft.hint}`),
          el("span", { class: "muted" }, note),
          nft.claimable ? button : null,
        ),
        showOutcome(el("div", { "data-testid": "claim-error" }), nft.nftId),
      ),
    );
    if (!claimed) addObject(nft.lat, nft.lng, "nft", `${nft.title} · ${formatDistance(nft.distance)}`);
  }
  if (!listed.length) nftList.append(el("li", { class: "muted" }, "No NFTs within 1 km."));

  const placeList = document.getElementById("places");
  placeList.replaceChildren();
  for (const place of state.places) {
    placeList.append(
      el(
        "li",
        { dataset: { id: place.id, kind: place.kind }, "data-testid": "place-item" },
        el("div", { class: "row" }, el("span", { class: `badge kind-${place.kind}` }, place.kind), el("strong", {}, place.title)),
        el(
          "div",
          { class: "row" },
          el("span", { class: "muted" }, `${formatDistance(place.distance_m)} · ${formatBearing(place.bearing_deg)}`),
          state.actionable.has(place.id) ? placeAction(place) : null,
        ),
        showOutcome(el("div", { "data-testid": "place-result" }), place.id),
      ),
    );
    addObject(place.lat, place.lng, place.kind, `${place.title} · ${formatDistance(place.distance_m)}`);
  }
  if (!state.places.length) placeList.append(el("li", { class: "muted" }, "No spaces or portals within 1 km."));
}

// Spaces: join (public ones); portals: ask for a pass, then offer the game's link. The
// outcome is kept in state.outcomes (by id), so re-rendering the list keeps showing it.
function placeAction(place) {
  const isPortal = place.kind === "portal";
  return el(
    "button",
    {
      "data-testid": isPortal ? "portal-enter" : "space-join",
      onclick: async () => {
        try {
          if (isPortal) {
            const pass = await api.request("POST", `/api/portals/${place.id}/enter`);
            setOutcome(place.id, { text: "Pass issued: ", link: pass.game_url });
          } else {
            await api.request("POST", `/api/spaces/${place.id}/join`);
            setOutcome(place.id, { text: "You joined this space." });
          }
        } catch (err) {
          setOutcome(place.id, { error: err.message });
        }
      },
    },
    isPortal ? "Enter" : "Join",
  );
}

function setOutcome(id, outcome) {
  state.outcomes.set(id, outcome);
  const box = document.querySelector(`[data-id="${CSS.escape(id)}"] [data-testid=place-result], [data-nft-id="${CSS.escape(id)}"] [data-testid=claim-error]`);
  if (box) showOutcome(box, id);
}

function showOutcome(box, id) {
  const outcome = state.outcomes.get(id);
  box.replaceChildren();
  box.className = outcome && outcome.error ? "error" : "";
  if (!outcome) return box;
  if (outcome.error) box.textContent = outcome.error;
  else box.append(outcome.text || "");
  // The API only accepts https and app deep links; refuse script-ish ones anyway.
  if (outcome.link && !/^\s*(javascript|data|vbscript|file|blob):/i.test(outcome.link)) {
    box.append(el("a", { href: outcome.link, rel: "noopener noreferrer", "data-testid": "game-link" }, "open the game"));
  }
  return box;
}

function addObject(lat, lng, kind, label) {
  L.circleMarker([lat, lng], {
    radius: kind === "nft" ? 8 : 7,
    color: KIND_COLORS[kind] || "#333",
    fillOpacity: 0.7,
  })
    .bindTooltip(textNode(label))
    .addTo(objects);
}

async function claim(nft, button) {
  setOutcome(nft.nftId, null);
  button.disabled = true;
  await sending; // the server judges the claim against my latest accepted position
  try {
    await api.request("POST", `/api/nfts/${encodeURIComponent(nft.nftId)}/claim`, {
      lat: state.position.lat,
      lng: state.position.lng,
      accuracy_m: state.position.accuracy_m,
    });
    state.claimed.set(nft.nftId, nft);
    renderNearby();
    toast(`You claimed ${nft.title}!`, "success");
    showAlert(`Claimed ${nft.title}`, "claim");
  } catch (err) {
    setOutcome(nft.nftId, { error: err.message });
    button.disabled = false;
  }
}

// --- Live events -----------------------------------------------------------------------

function eventText(type, data) {
  const fence = data.fence_name || data.fence_id || "";
  switch (type) {
    case "geofence_enter":
      return `Entered ${fence}`;
    case "geofence_exit":
      return `Left ${fence}`;
    case "geofence_dwell":
      return `Staying in ${fence}`;
    case "challenge_progress":
      return `${data.challenge_name || "Challenge"}: ${data.progress}/${data.goal}`;
    case "challenge_completed":
      return `${data.challenge_name || "Challenge"} completed!`;
    default:
      return type;
  }
}

// Geofence and challenge events reach the page twice (the update's answer and the
// socket): show each event id once.
const seenEvents = new Set();
function showEvent(type, data) {
  if (data.event_id) {
    if (seenEvents.has(data.event_id)) return;
    seenEvents.add(data.event_id);
  }
  showAlert(eventText(type, data), "event");
}

function showAlert(text, kind, testid = "alert") {
  const list = document.getElementById("alerts");
  list.prepend(el("li", { "data-testid": testid, dataset: { kind } }, el("span", { class: "muted" }, `${formatTime()} `), text));
  while (list.children.length > 50) list.lastChild.remove();
}

const setStatus = (text) => {
  document.getElementById("status").textContent = `live: ${text}`;
};
const handlers = {
  proximity_alert: (data) => {
    const title = data.title || data.name || data.kind || "Something";
    const what = `${title} (${data.kind || "object"})`;
    const d = Number(data.distance_m);
    const text =
      d < 1
        ? `${what} is right here`
        : `${what} is ${formatDistance(d)} away at ${formatBearing(Number(data.bearing_deg) || 0)}`;
    showAlert(text, "proximity", "proximity-alert");
    toast(text, "alert");
    refreshNearby();
  },
  new_nft: (data) => {
    showAlert(`A new NFT was placed nearby${data.nft_id ? `: ${data.nft_id}` : ""}`, "new_nft", "new-nft");
    toast("A new NFT appeared nearby", "alert");
    refreshNearby();
  },
};
for (const type of [
  "geofence_enter",
  "geofence_exit",
  "geofence_dwell",
  "challenge_progress",
  "challenge_completed",
]) {
  handlers[type] = (data) => showEvent(type, data);
}
connectSocket(api, handlers, setStatus);

renderPosition();
sendLocation();
refreshNearby();
// Tests and curious users: the page's state.
window.cyberspaceMap = { state, map, moveTo, api };
