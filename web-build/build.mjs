// Builds the structure editor served by CryoProtect into
// src/cryoprotect/web/static/vendor/ketcher (run by `make ketcher`, after `npm ci`):
//   ketcher.js / ketcher.css   the editor (ES module, loaded on demand by structure_editor.js)
//   indigoWorker-*.js          Ketcher's Indigo web worker, bundled (its name is the one the
//                              editor's `new URL(..., import.meta.url)` asks for)
//   *.wasm                     Indigo compiled to WebAssembly (served as application/wasm)
//   THIRD_PARTY_NOTICES.txt    the licence of every npm package that ends up in the files
import { build } from "esbuild";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.resolve(here, "../src/cryoprotect/web/static/vendor/ketcher");
const standalone = path.join(here, "node_modules/ketcher-standalone/dist/binaryWasmNoRender");

// Every module must come from this directory's pinned node_modules: esbuild, like Node,
// would otherwise also look in parent directories (the repository's ESLint install).
const pinnedOnly = {
  name: "pinned-only",
  setup(b) {
    b.onEnd((result) => {
      const files = Object.keys(result.metafile.inputs).map((f) => f.replace(/^\(disabled\):/, ""));
      const outside = files.filter((f) => !path.resolve(f).startsWith(here + path.sep));
      if (outside.length) throw new Error(`modules from outside web-build/: ${outside.join(", ")}`);
    });
  },
};

const common = {
  bundle: true,
  minify: true,
  format: "esm",
  target: ["es2020"],
  platform: "browser",
  legalComments: "none", // licences are collected into THIRD_PARTY_NOTICES.txt below
  metafile: true,
  plugins: [pinnedOnly],
  // paper.js without PaperScript (Ketcher draws with paper's API only): paper-full's copy of
  // acorn builds functions from strings, which the Content-Security-Policy (no 'unsafe-eval')
  // refuses.
  alias: { paper: "paper/dist/paper-core.js" },
  logLevel: "warning",
  define: { "process.env.NODE_ENV": '"production"', global: "globalThis" },
  inject: [path.join(here, "node_globals.js")],
};

fs.rmSync(out, { recursive: true, force: true });
fs.mkdirSync(out, { recursive: true });

const editor = await build({
  ...common,
  entryPoints: { ketcher: path.join(here, "ketcher_entry.js") },
  outdir: out,
  // Ketcher's own lazy imports (the 3D viewer, the macromolecule editor) stay separate files,
  // fetched only when used.
  splitting: true,
  chunkNames: "chunk-[hash]",
  loader: { ".svg": "dataurl", ".png": "dataurl", ".woff": "file", ".woff2": "file", ".ttf": "file" },
  assetNames: "[name]-[hash]",
});

// CSS that esbuild split off with a lazy chunk (react-contexify's menus) is not loaded by the chunk
// itself: append it to ketcher.css, which the page loads with the editor.
for (const f of fs.readdirSync(out).filter((name) => /^chunk-.*\.css$/.test(name)).sort()) {
  fs.appendFileSync(path.join(out, "ketcher.css"), fs.readFileSync(path.join(out, f)));
  fs.rmSync(path.join(out, f));
}

const workerFile = fs.readdirSync(standalone).find((f) => /^indigoWorker-[0-9a-f]+\.js$/.test(f));
const worker = await build({ ...common, entryPoints: [path.join(standalone, workerFile)], outfile: path.join(out, workerFile) });

// Only the WebAssembly the worker loads (the no-render build: drawing is Ketcher's own).
const wasmFiles = fs.readFileSync(path.join(out, workerFile), "utf8").match(/indigo-ketcher[\w.-]*\.wasm/g);
for (const wasm of new Set(wasmFiles)) fs.copyFileSync(path.join(standalone, wasm), path.join(out, wasm));

// Every package with code in the output, and its licence text.
const packages = new Map();
for (const result of [editor, worker]) {
  for (const input of Object.keys(result.metafile.inputs)) {
    const match = input.replace(/^\(disabled\):/, "").match(/^(.*node_modules\/)((?:@[^/]+\/)?[^/]+)\//); // the innermost package
    // (ketcher-core/dist/node_modules/* are parts of ketcher-core, without a package.json)
    const dir = match && path.resolve(match[1] + match[2]);
    if (dir && fs.existsSync(path.join(dir, "package.json"))) packages.set(dir, match[2]);
  }
}
packages.set(path.join(here, "node_modules/indigo-ketcher"), "indigo-ketcher"); // the .wasm
const notices = [
  "Third-party software in this directory (built by web-build/build.mjs from the npm packages",
  "pinned in web-build/package-lock.json). Each package's licence follows.",
  "",
];
const byName = [...packages].sort((a, b) => a[1].localeCompare(b[1]) || a[0].localeCompare(b[0]));
for (const [dir, name] of byName) {
  const meta = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
  const licenceFile = fs.readdirSync(dir).find((f) => /^(licen[cs]e|copying|notice)/i.test(f));
  notices.push("=".repeat(78), `${name} ${meta.version} — ${meta.license || "see below"}`, "=".repeat(78));
  if (licenceFile) notices.push(fs.readFileSync(path.join(dir, licenceFile), "utf8").trim());
  else {
    const author = typeof meta.author === "object" ? meta.author.name : meta.author;
    notices.push(`The package ships no licence file; its package.json declares ${meta.license}` + (author ? ` (author: ${author}).` : "."));
    if (meta.license === "Apache-2.0") notices.push(`Source files: "Copyright ${meta.name.startsWith("ketcher") ? "2021 EPAM Systems" : "its authors"}". Licence text: see APACHE-2.0 at the end.`);
  }
  notices.push("");
}
// The Apache License 2.0 text, as shipped by indigo-ketcher (Ketcher's own packages ship none).
notices.push("=".repeat(78), "APACHE-2.0", "=".repeat(78), fs.readFileSync(path.join(here, "node_modules/indigo-ketcher/LICENSE"), "utf8").trim(), "");
fs.writeFileSync(path.join(out, "THIRD_PARTY_NOTICES.txt"), notices.join("\n"));

for (const f of fs.readdirSync(out).sort()) console.log(`${(fs.statSync(path.join(out, f)).size / 1e6).toFixed(2).padStart(7)} MB  ${f}`);
