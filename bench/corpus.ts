// Deterministic benchmark corpus: code, config, logs, lockfiles and minified JS,
// with fake AWS keys planted at known places (keys are built here, never written
// literally in the source).
import { mkdirSync, writeFileSync, readFileSync, existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { Rng } from "../src/sim/rng.js";

const B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const HEX = "0123456789abcdef";
const B64 = ALNUM + "+/";

export interface Planted {
  path: string;
  line: number;
  keyId: string;
  encoding?: string;
}

/** Bump when the generator changes so old corpora are rebuilt. */
const VERSION = 2;

export interface Manifest {
  version: number;
  bytes: number;
  files: number;
  planted: Planted[];
}

function keyId(r: Rng, prefix: string): string {
  return prefix + r.pick("QRSTUVWXYZ234567".split("")) + r.str(B32, 15);
}
function secret(r: Rng): string {
  return "K" + r.str(ALNUM, 10) + "/" + r.str(B64, 26) + "9a";
}

const WORDS =
  "user account order item price total request response handler service client server config value result error status message payload token session cache queue event record batch stream buffer index offset limit count page filter query update delete create fetch parse render validate schedule retry timeout connect".split(
    " ",
  );
const camel = (r: Rng, n = 2) => {
  let s = r.pick(WORDS);
  for (let i = 1; i < n; i++) {
    const w = r.pick(WORDS);
    s += w[0]!.toUpperCase() + w.slice(1);
  }
  return s;
};
const snake = (r: Rng, n = 2) => Array.from({ length: n }, () => r.pick(WORDS)).join("_");

function tsFile(r: Rng, lines: number): string[] {
  const out = [`import { ${camel(r)} } from "./${r.pick(WORDS)}.js";`, `import type { ${camel(r)}Options } from "../types.js";`, ""];
  while (out.length < lines) {
    const fn = camel(r, 3);
    out.push(`/** ${r.pick(WORDS)} the ${r.pick(WORDS)} and return its ${r.pick(WORDS)} (see issue #${r.int(5000)}). */`);
    out.push(`export async function ${fn}(${camel(r)}: string, opts: ${camel(r)}Options = {}): Promise<number> {`);
    for (let i = 0, n = 3 + r.int(10); i < n; i++) {
      const v = camel(r);
      switch (r.int(5)) {
        case 0:
          out.push(`  const ${v} = await this.${camel(r)}.${r.pick(WORDS)}(${camel(r)}, { limit: ${r.int(1000)} });`);
          break;
        case 1:
          out.push(`  if (!${v} || ${v}.length > ${r.int(100)}) throw new Error("${r.pick(WORDS)} ${r.pick(WORDS)} failed");`);
          break;
        case 2:
          out.push(`  for (const ${r.pick(WORDS)} of ${v}) ${camel(r)}.push(${r.pick(WORDS)}.${camel(r)});`);
          break;
        case 3:
          out.push(`  logger.info({ ${v}, id: "${r.str(HEX, 8)}-${r.str(HEX, 4)}" }, "${r.pick(WORDS)} done");`);
          break;
        default:
          out.push(`  // TODO(${r.pick(WORDS)}): handle ${r.pick(WORDS)} when ${r.pick(WORDS)} is empty`);
      }
    }
    out.push(`  return ${r.int(100)};`, "}", "");
  }
  return out;
}

function pyFile(r: Rng, lines: number): string[] {
  const out = ["import os", "import json", `from ${r.pick(WORDS)} import ${camel(r)}`, ""];
  while (out.length < lines) {
    out.push(`def ${snake(r, 3)}(${snake(r)}, ${snake(r)}=None):`);
    out.push(`    """${r.pick(WORDS)} the ${r.pick(WORDS)}."""`);
    for (let i = 0, n = 2 + r.int(8); i < n; i++) {
      if (r.int(2)) out.push(`    ${snake(r)} = ${snake(r)}.get("${r.pick(WORDS)}", ${r.int(100)})`);
      else out.push(`    if ${snake(r)} is None:`, `        raise ValueError("missing ${r.pick(WORDS)}")`);
    }
    out.push(`    return ${snake(r)}`, "");
  }
  return out;
}

function logFile(r: Rng, lines: number): string[] {
  const out: string[] = [];
  const levels = ["INFO", "INFO", "INFO", "DEBUG", "WARN", "ERROR"];
  for (let i = 0; i < lines; i++) {
    const ts = `2026-11-${String(1 + r.int(28)).padStart(2, "0")}T${String(r.int(24)).padStart(2, "0")}:${String(r.int(60)).padStart(2, "0")}:${String(r.int(60)).padStart(2, "0")}.${r.int(1000)}Z`;
    const ip = `10.${r.int(255)}.${r.int(255)}.${r.int(255)}`;
    out.push(
      `${ts} ${r.pick(levels)} [${r.pick(WORDS)}-${r.int(16)}] ${ip} "${r.pick(["GET", "POST", "PUT"])} /api/v${1 + r.int(3)}/${r.pick(WORDS)}s/${r.int(100000)} HTTP/1.1" ${r.pick([200, 200, 201, 404, 500])} ${r.int(5000)}ms trace=${r.str(HEX, 32)} ${r.pick(WORDS)}_${r.pick(WORDS)}=${r.int(1000)}`,
    );
  }
  return out;
}

function yamlFile(r: Rng, lines: number): string[] {
  const out = ["apiVersion: apps/v1", "kind: Deployment", "metadata:", `  name: ${r.pick(WORDS)}-${r.pick(WORDS)}`, "spec:"];
  while (out.length < lines) {
    out.push(`  ${camel(r)}:`);
    for (let i = 0, n = 2 + r.int(6); i < n; i++) out.push(`    ${snake(r)}: ${r.pick([String(r.int(1000)), `"${r.pick(WORDS)}"`, "true", r.str(HEX, 12)])}`);
  }
  return out;
}

function lockFile(r: Rng, lines: number): string[] {
  const out = ["{", '  "lockfileVersion": 3,', '  "packages": {'];
  while (out.length < lines) {
    const name = `${r.pick(WORDS)}-${r.pick(WORDS)}`;
    const v = `${r.int(10)}.${r.int(30)}.${r.int(30)}`;
    out.push(`    "node_modules/${name}": {`, `      "version": "${v}",`, `      "resolved": "https://registry.npmjs.org/${name}/-/${name}-${v}.tgz",`);
    out.push(`      "integrity": "sha512-${r.str(B64, 86)}==",`, `      "license": "MIT"`, "    },");
  }
  out.push('    "": {}', "  }", "}");
  return out;
}

function minJs(r: Rng, lines: number): string[] {
  const out: string[] = [];
  for (let l = 0; l < lines; l++) {
    let s = "";
    while (s.length < 4000) s += `function ${r.str("abcdefghij", 2)}(${r.str("xyz", 1)}){return ${r.str("abcdef", 1)}.${camel(r)}(${r.int(99)})&&"${r.pick(WORDS)}"}var ${r.str("abc", 2)}=${r.int(1e6)};`;
    out.push(s);
  }
  return out;
}

const KINDS = [
  { ext: "ts", gen: tsFile, w: 4, lineLen: 60 },
  { ext: "py", gen: pyFile, w: 3, lineLen: 40 },
  { ext: "log", gen: logFile, w: 3, lineLen: 170 },
  { ext: "yaml", gen: yamlFile, w: 2, lineLen: 22 },
  { ext: "json", gen: lockFile, w: 1, lineLen: 50 },
  { ext: "min.js", gen: minJs, w: 1, lineLen: 4000 },
] as const;

function plant(r: Rng, lines: string[], path: string, planted: Planted[]): void {
  const at = r.int(lines.length);
  const prefix = r.int(5) === 0 ? "ASIA" : "AKIA";
  const id = keyId(r, prefix);
  const s = secret(r);
  switch (r.int(3)) {
    case 0:
      lines.splice(at, 0, `AWS_ACCESS_KEY_ID=${id}`, `AWS_SECRET_ACCESS_KEY=${s}`);
      planted.push({ path, line: at + 1, keyId: id });
      break;
    case 1:
      lines.splice(at, 0, `  aws: { accessKeyId: "${id}", secretAccessKey: "${s}" },`);
      planted.push({ path, line: at + 1, keyId: id });
      break;
    default:
      lines.splice(at, 0, `  AWS_ACCESS_KEY_ID: ${Buffer.from(id).toString("base64")}`, `  AWS_SECRET_ACCESS_KEY: ${Buffer.from(s).toString("base64")}`);
      planted.push({ path, line: at + 1, keyId: id, encoding: "base64" });
  }
}

/** Creates (or reuses) a corpus of about `mb` megabytes under `dir`. */
export function ensureCorpus(dir: string, mb: number): Manifest {
  const manifestPath = join(dir, "manifest.json");
  const want = mb * 1_000_000;
  if (existsSync(manifestPath)) {
    const m = JSON.parse(readFileSync(manifestPath, "utf8")) as Manifest;
    if (m.version === VERSION && m.bytes >= want && m.bytes < want * 1.1) return m;
  }
  rmSync(join(dir, "files"), { recursive: true, force: true }); // also drops the git-secrets repo
  const r = new Rng(0xc0ffee);
  const planted: Planted[] = [];
  let bytes = 0;
  let files = 0;
  const total = KINDS.reduce((a, k) => a + k.w, 0);
  while (bytes < want) {
    let x = r.int(total);
    const kind = KINDS.find((k) => (x -= k.w) < 0)!;
    // ~10 files per directory, two levels deep, like a real repository
    const sub = `d${String(files % 29).padStart(2, "0")}/${r.pick(WORDS.slice(0, 10))}`;
    const path = `${sub}/${r.pick(WORDS)}_${files}.${kind.ext}`;
    // sizes from 1 KB to ~2 MB, skewed small like real repositories (mean ≈ 30 KB)
    const size = Math.floor(1000 * Math.pow(2000, r.next() ** 4));
    const lines = kind.gen(r, Math.max(2, Math.floor(size / kind.lineLen)));
    if (files % 25 === 7) plant(r, lines, `files/${path}`, planted);
    const text = lines.join("\n") + "\n";
    mkdirSync(join(dir, "files", sub), { recursive: true });
    writeFileSync(join(dir, "files", path), text);
    bytes += Buffer.byteLength(text);
    files++;
  }
  const m: Manifest = { version: VERSION, bytes, files, planted };
  writeFileSync(manifestPath, JSON.stringify(m));
  return m;
}
