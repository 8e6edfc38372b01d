// Compiles contracts/src/*.sol with the solc-js compiler bundled in the pinned npm `solc` package
// (no compiler download) and writes one artifact per contract as canonical JSON: sorted keys,
// two-space indent, trailing newline, no timestamps or absolute paths. Same inputs, same bytes.
//
//   node build.mjs                 write contracts/artifacts/
//   node build.mjs --out DIR       write elsewhere (the Python test rebuilds into a temp dir)
//   node build.mjs --check         rebuild in memory and fail if contracts/artifacts/ differ
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));
const SRC_DIR = join(HERE, "src");
const NODE_MODULES = join(HERE, "node_modules");
const require = createRequire(import.meta.url);

// Fixed compiler settings. The metadata hash is stripped from the bytecode (bytecodeHash
// "none"): each artifact records the SHA-256 of every source it was built from instead, so a
// comment-only edit changes the recorded hashes but not the deployed code.
const SETTINGS = {
  evmVersion: "cancun",
  metadata: { bytecodeHash: "none" },
  optimizer: { enabled: true, runs: 200 },
  outputSelection: {
    "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object", "metadata"] },
  },
  viaIR: false,
};
const ARTIFACT_FORMAT = "cyberspace-artifact-1";

function sha256(text) {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

// JSON with object keys sorted at every level; arrays keep their order (the ABI's order is
// solc's own, and deterministic).
function canonical(value) {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical(value[k])]),
    );
  }
  return value;
}

function canonicalJson(value) {
  return JSON.stringify(canonical(value), null, 2) + "\n";
}

function parseArgs(argv) {
  const args = { out: join(HERE, "artifacts"), check: false };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--out") args.out = resolve(argv[++i]);
    else if (argv[i] === "--check") args.check = true;
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  return args;
}

// The installed packages must be exactly the pinned ones; a stale node_modules would otherwise
// build different artifacts and the mismatch would look like a compiler problem.
function pinnedVersions() {
  const wanted = JSON.parse(readFileSync(join(HERE, "package.json"), "utf8")).dependencies;
  const found = {};
  for (const [name, version] of Object.entries(wanted)) {
    const manifest = join(NODE_MODULES, ...name.split("/"), "package.json");
    if (!existsSync(manifest)) throw new Error(`${name} is not installed: run npm ci in contracts/`);
    const installed = JSON.parse(readFileSync(manifest, "utf8")).version;
    if (installed !== version) {
      throw new Error(`${name} ${installed} is installed but package.json pins ${version}: run npm ci`);
    }
    found[name] = version;
  }
  return found;
}

function readSources() {
  const files = readdirSync(SRC_DIR)
    .filter((f) => f.endsWith(".sol"))
    .sort();
  if (files.length === 0) throw new Error(`no .sol files in ${SRC_DIR}`);
  return Object.fromEntries(
    files.map((f) => [`src/${f}`, { content: readFileSync(join(SRC_DIR, f), "utf8") }]),
  );
}

function compile(solc, sources) {
  const loaded = {};
  // Imports resolve only inside node_modules (i.e. the pinned @openzeppelin/contracts).
  const findImports = (path) => {
    const file = resolve(NODE_MODULES, path);
    if (!file.startsWith(NODE_MODULES + sep) || !existsSync(file)) {
      return { error: `import not found: ${path}` };
    }
    loaded[path] = readFileSync(file, "utf8");
    return { contents: loaded[path] };
  };
  const input = { language: "Solidity", sources, settings: SETTINGS };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports }));
  const problems = output.errors ?? [];
  for (const p of problems) {
    if (p.severity !== "error") process.stderr.write(p.formattedMessage);
  }
  const errors = problems.filter((p) => p.severity === "error");
  if (errors.length > 0) {
    throw new Error(errors.map((e) => e.formattedMessage).join("\n"));
  }
  const contents = { ...loaded };
  for (const [name, { content }] of Object.entries(sources)) contents[name] = content;
  return { output, contents };
}

function buildArtifacts() {
  const dependencies = pinnedVersions();
  const solc = require("solc");
  const compilerVersion = solc.version();
  if (!compilerVersion.startsWith(`${dependencies.solc}+`)) {
    throw new Error(`solc-js reports ${compilerVersion}, expected ${dependencies.solc}`);
  }
  const sources = readSources();
  const { output, contents } = compile(solc, sources);
  const artifacts = {};
  for (const sourceName of Object.keys(sources)) {
    for (const [contractName, c] of Object.entries(output.contracts[sourceName] ?? {})) {
      // The metadata lists exactly the sources this contract was compiled from.
      const used = Object.keys(JSON.parse(c.metadata).sources).sort();
      const sourceHashes = Object.fromEntries(used.map((n) => [n, sha256(contents[n])]));
      artifacts[`${contractName}.json`] = canonicalJson({
        format: ARTIFACT_FORMAT,
        contractName,
        sourceName,
        abi: c.abi,
        bytecode: `0x${c.evm.bytecode.object}`,
        deployedBytecode: `0x${c.evm.deployedBytecode.object}`,
        compiler: { name: "solc", version: compilerVersion, settings: SETTINGS },
        dependencies,
        sources: sourceHashes,
      });
    }
  }
  return artifacts;
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  const artifacts = buildArtifacts();
  if (args.check) {
    const stale = Object.entries(artifacts).filter(([name, text]) => {
      const file = join(args.out, name);
      return !existsSync(file) || readFileSync(file, "utf8") !== text;
    });
    const extra = readdirSync(args.out).filter((f) => f.endsWith(".json") && !(f in artifacts));
    if (stale.length || extra.length) {
      const names = [...stale.map(([n]) => n), ...extra].join(", ");
      console.error(`artifacts out of date: ${names} (run: node build.mjs)`);
      process.exit(1);
    }
    console.log(`artifacts up to date (${Object.keys(artifacts).length} contracts)`);
    return;
  }
  mkdirSync(args.out, { recursive: true });
  for (const [name, text] of Object.entries(artifacts)) writeFileSync(join(args.out, name), text);
  console.log(`wrote ${Object.keys(artifacts).sort().join(", ")} to ${args.out}`);
}

main();
