// Drives the real npm socket.io-client against a running CyberSpace service:
// connect with a token, join a space (the seed's join_space shape), walk towards an object
// with location updates, and report the proximity_alert and new_nft events received.
//
// usage: node e2e.mjs <base-url> <token> <user-id> <space-id> <lat> <lng> <object-id>
// stdout protocol (one JSON object per line): {"step": "ready"} once the walk is done,
// then {"step": "done", "proximity_alert": {...}, "new_nft": {...}}; exit code 0 on success.
import { io } from "socket.io-client";

const [url, token, userId, spaceId, latArg, lngArg, objectId] = process.argv.slice(2);
const target = { lat: Number(latArg), lng: Number(lngArg) };
const say = (obj) => process.stdout.write(JSON.stringify(obj) + "\n");
const fail = (message) => {
  say({ step: "error", message });
  process.exit(1);
};
setTimeout(() => fail("timed out"), 30000);

const socket = io(url, { auth: { token }, transports: ["websocket"], reconnection: false });
const seen = {};
const waiters = {};
for (const name of ["proximity_alert", "new_nft"]) {
  socket.on(name, (data) => {
    // Other objects may be near the walk: wait for the alert about the one we walk to.
    if (name === "proximity_alert" && data.id !== objectId) return;
    seen[name] ??= data;
    waiters[name]?.(data);
  });
}
const next = (name) => (seen[name] ? Promise.resolve(seen[name]) : new Promise((r) => (waiters[name] = r)));

socket.on("connect_error", (err) => fail(`connect_error: ${err.message}`));
socket.on("connect", async () => {
  const joined = await socket.emitWithAck("join_space", { user_id: userId, space_id: spaceId });
  if (!joined.ok) fail(`join_space refused: ${JSON.stringify(joined)}`);
  // From ~1.1 km north of the target to ~20 m north, one fix per 30 s of (fictional) time.
  let t = Date.now() / 1000 - 1800;
  for (const offset of [0.01, 0.005, 0.002, 0.0002]) {
    t += 30;
    const ack = await socket.emitWithAck("location_update", {
      lat: target.lat + offset,
      lng: target.lng,
      accuracy_m: 5,
      timestamp: t,
    });
    if (!ack.ok || !ack.accepted) fail(`location_update refused: ${JSON.stringify(ack)}`);
  }
  const alert = await next("proximity_alert");
  say({ step: "ready", joined });
  const nft = await next("new_nft");
  say({ step: "done", proximity_alert: alert, new_nft: nft });
  socket.close();
  process.exit(0);
});
