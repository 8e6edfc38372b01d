// Copies the vendor libraries the pages use from node_modules into app/web/static/vendor/,
// so the service serves them itself (no CDN). The output is generated, not committed
// (gitignored); scripts/run.d/40-web.sh and scripts/setup.d/40-web.sh run this after `npm ci`.
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const modules = join(here, "node_modules");
const out = join(here, "..", "app", "web", "static", "vendor");

// [package, file or directory inside it, destination inside vendor/]
const FILES = [
  ["leaflet", "dist/leaflet.js", "leaflet/leaflet.js"],
  ["leaflet", "dist/leaflet.css", "leaflet/leaflet.css"],
  ["leaflet", "dist/images", "leaflet/images"],
  ["@geoman-io/leaflet-geoman-free", "dist/leaflet-geoman.min.js", "geoman/leaflet-geoman.min.js"],
  ["@geoman-io/leaflet-geoman-free", "dist/leaflet-geoman.css", "geoman/leaflet-geoman.css"],
  ["socket.io-client", "dist/socket.io.min.js", "socket.io/socket.io.min.js"],
];

rmSync(out, { recursive: true, force: true });
const versions = {};
for (const [pkg, from, to] of FILES) {
  const target = join(out, to);
  mkdirSync(dirname(target), { recursive: true });
  cpSync(join(modules, pkg, from), target, { recursive: true });
  versions[pkg] = JSON.parse(readFileSync(join(modules, pkg, "package.json"), "utf8")).version;
}
// The service reads this to know the vendor build is complete (and reports versions).
writeFileSync(join(out, "manifest.json"), JSON.stringify({ versions }, null, 2) + "\n");
console.log(`[web] vendor files in ${out}: ${JSON.stringify(versions)}`);
