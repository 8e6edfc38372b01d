// Load driver of scripts/bench/realtime.py: N socket.io-client connections walking paths
// that the Python side computed, one location_update per second each. Node, not Python:
// thousands of python-socketio clients need more CPU than the server under test, so the
// bench measured its own client. Records what the Python side needs to replay the
// hysteresis rule: accepted fixes, ack round trips, and every proximity_alert received.
//
//   node realtime_load.mjs <input.json> <output.json>
//
// Protocol on stdio: prints "connected" once every client is connected, walks after reading
// "go", prints "walked" when done; after "settle" prints "settled" once no alert has arrived
// for SETTLE_S (alerts still in flight get there meanwhile); writes <output.json> and exits
// after reading "stop" (the Python side measures server memory and waits for the event
// stream in between).
// input: {url, packageJson, seconds, clients: [{token, path: [[lat, lng], ...]}]}
// socket.io-client comes from the npm install of the Node end-to-end test (packageJson).
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { createInterface } from "node:readline";

const [inputPath, outputPath] = process.argv.slice(2);
const input = JSON.parse(readFileSync(inputPath, "utf8"));
const { io } = createRequire(input.packageJson)("socket.io-client");

const commands = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
async function expect(word) {
  for (;;) {
    const { value, done } = await commands.next();
    if (done) process.exit(1);
    if (value.trim() === word) return;
  }
}

const now = () => Date.now() / 1000;
const SETTLE_S = 2;
const SETTLE_LIMIT_S = 120;
let lastAlert = 0;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function connect(client) {
  const record = { accepted: [], acks: [], alerts: [], rejected: 0, errors: 0 };
  const socket = io(input.url, {
    auth: { token: client.token },
    transports: ["websocket"],
    reconnection: false,
    timeout: 30000,
  });
  socket.on("proximity_alert", (data) => {
    lastAlert = now();
    record.alerts.push([data.id, Date.parse(data.fix_timestamp) / 1000, lastAlert]);
  });
  return new Promise((resolve, reject) => {
    socket.once("connect", () => resolve({ socket, record, path: client.path }));
    socket.once("connect_error", reject);
  });
}

async function walk({ socket, record, path }, stopAt) {
  await sleep(Math.random() * 1000); // spread the clients over the second
  for (const [lat, lng] of path) {
    if (now() >= stopAt) break;
    const tick = Date.now();
    const ts = Date.now() / 1000; // millisecond precision, as the alerts echo it back
    try {
      const ack = await socket
        .timeout(10000)
        .emitWithAck("location_update", { lat, lng, accuracy_m: 5, timestamp: ts });
      record.acks.push(now() - ts);
      if (ack && ack.accepted) record.accepted.push([ts, lat, lng]);
      else record.rejected += 1;
    } catch {
      record.errors += 1;
    }
    await sleep(Math.max(0, 1000 - (Date.now() - tick)));
  }
}

const walkers = [];
for (let i = 0; i < input.clients.length; i += 50) {
  walkers.push(...(await Promise.all(input.clients.slice(i, i + 50).map(connect))));
}
console.log("connected");
await expect("go");
const started = now();
await Promise.all(walkers.map((w) => walk(w, started + input.seconds)));
const walked = now() - started;
console.log("walked");
await expect("settle");
const settleStart = now();
while (now() - Math.max(lastAlert, settleStart) < SETTLE_S && now() - settleStart < SETTLE_LIMIT_S) {
  await sleep(100);
}
console.log("settled");
await expect("stop");
for (const w of walkers) w.socket.disconnect();
writeFileSync(outputPath, JSON.stringify({ walked, clients: walkers.map((w) => w.record) }));
process.exit(0); // stdin stays open (the command reader), which would keep Node alive
