// A deterministic repository generator for history scanning: thousands of commits over many files
// of realistic text, with AWS keys planted where history scanners miss them — added then removed,
// in renamed files, only on a side branch, in one blob shared by two paths, in a file edited many
// times. Written with `git fast-import`: the same seed gives the same repository, byte for byte.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { scanText } from "../detect/index.js";
import { Rng } from "./rng.js";


export type PlantHow = "kept" | "added-then-removed" | "renamed" | "side-branch" | "shared-blob" | "many-edits" | "binary-neighbour";

export interface PlantedKey {
  keyId: string;
  secret: string;
  how: PlantHow;
  /** Every path the key was ever committed under. */
  paths: string[];
  /** The ref whose history holds it. */
  ref: string;
}

export interface GeneratedRepo {
  dir: string;
  commits: number;
  planted: PlantedKey[];
}

export interface GenerateOptions {
  seed?: number;
  /** Commits on the main branch (side branches add a few more). */
  commits?: number;
  /** Files in the initial tree. */
  files?: number;
  /** Which plantings to make (all by default). */
  plant?: PlantHow[];
}

const WORDS = (
  "account alpha amount apply array async await balance batch before buffer build cache call cancel " +
  "change channel check child claim client close commit config connect context count create cursor " +
  "data debug decode default delete deploy detail digest done draft empty encode entry error event " +
  "expire export fetch field filter final first flush format frame guard handle header health index " +
  "input issue item job key label layer limit line list load local lock log loop manager map match " +
  "merge message method metric model module name node notify offset option order output owner page " +
  "parse patch path payload peer pending policy pool port record region release remote render report " +
  "request reset resolve result retry role route rule runner scope secret select send service session " +
  "setting shard signal source state status step store stream subject sync table target task tenant " +
  "timeout token total trace update upload user value version view wait worker write"
).split(" ");

const EXT = ["ts", "py", "go", "md", "yml", "json", "sql", "sh"] as const;
const DIRS = ["src", "src/api", "src/core", "src/util", "lib", "services/billing", "services/auth", "docs", "deploy", "scripts", "test"];

function camel(rng: Rng, n: number): string {
  let s = rng.pick(WORDS);
  for (let i = 1; i < n; i++) {
    const w = rng.pick(WORDS);
    s += w[0]!.toUpperCase() + w.slice(1);
  }
  return s;
}

function sentence(rng: Rng): string {
  const n = 5 + rng.int(10);
  const ws: string[] = [];
  for (let i = 0; i < n; i++) ws.push(rng.pick(WORDS));
  const s = ws.join(" ");
  return s[0]!.toUpperCase() + s.slice(1) + ".";
}

/** One line of plausible text for a file of the given kind. */
function line(rng: Rng, ext: string): string {
  const r = rng.int(10);
  switch (ext) {
    case "ts":
      if (r < 2) return `// ${sentence(rng)}`;
      if (r < 5) return `  const ${camel(rng, 2)} = await ${camel(rng, 2)}(${camel(rng, 1)}, ${rng.int(1000)});`;
      if (r < 7) return `  if (${camel(rng, 2)}.${camel(rng, 1)} > ${rng.int(100)}) return ${camel(rng, 2)};`;
      if (r < 8) return `export function ${camel(rng, 3)}(${camel(rng, 1)}: string, ${camel(rng, 1)}: number): boolean {`;
      return `  ${camel(rng, 1)}.${camel(rng, 2)}("${rng.pick(WORDS)}-${rng.pick(WORDS)}");`;
    case "py":
      if (r < 2) return `# ${sentence(rng)}`;
      if (r < 5) return `    ${camel(rng, 1)}_${rng.pick(WORDS)} = self.${rng.pick(WORDS)}_${rng.pick(WORDS)}(${rng.int(100)})`;
      if (r < 7) return `def ${rng.pick(WORDS)}_${rng.pick(WORDS)}(self, ${rng.pick(WORDS)}, ${rng.pick(WORDS)}=None):`;
      return `    return [${rng.pick(WORDS)} for ${rng.pick(WORDS)} in ${rng.pick(WORDS)}s if ${rng.pick(WORDS)}]`;
    case "go":
      if (r < 2) return `// ${sentence(rng)}`;
      if (r < 6) return `\t${camel(rng, 2)}, err := ${camel(rng, 1)}.${camel(rng, 2)}(ctx, ${rng.int(500)})`;
      return `\tif err != nil {\n\t\treturn fmt.Errorf("${rng.pick(WORDS)} ${rng.pick(WORDS)}: %w", err)\n\t}`;
    case "md":
      if (r < 1) return `## ${sentence(rng)}`;
      if (r < 3) return `- ${sentence(rng)}`;
      return `${sentence(rng)} ${sentence(rng)}`;
    case "yml":
      return `${"  ".repeat(rng.int(3))}${rng.pick(WORDS)}_${rng.pick(WORDS)}: ${rng.int(3) === 0 ? rng.int(10000) : rng.pick(WORDS)}`;
    case "json":
      return `  "${camel(rng, 2)}": ${rng.int(2) ? `"${rng.pick(WORDS)}"` : rng.int(100000)},`;
    case "sql":
      return `SELECT ${rng.pick(WORDS)}_id, ${rng.pick(WORDS)} FROM ${rng.pick(WORDS)}s WHERE ${rng.pick(WORDS)} = ${rng.int(1000)};`;
    default:
      return `${rng.pick(WORDS)}_${rng.pick(WORDS)} --${rng.pick(WORDS)} "${rng.pick(WORDS)}" | grep ${rng.pick(WORDS)}`;
  }
}

function fileText(rng: Rng, ext: string, lines: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < lines; i++) out.push(line(rng, ext));
  return out;
}

const ID_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ234567";
const SECRET_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** A key pair the detector reports as live (not an example or placeholder). */
function makeKey(rng: Rng): { keyId: string; secret: string } {
  for (;;) {
    const keyId = `AKIA${rng.str(ID_ALPHABET, 16)}`;
    const secret = rng.str(SECRET_ALPHABET, 40);
    const found = scanText(`aws_access_key_id = ${keyId}\naws_secret_access_key = ${secret}\n`);
    if (found.length === 1 && found[0]!.kind === "live-candidate" && found[0]!.secret === secret) return { keyId, secret };
  }
}

const credentialLines = (k: { keyId: string; secret: string }) => [`aws_access_key_id = ${k.keyId}`, `aws_secret_access_key = ${k.secret}`];

interface FileState {
  ext: string;
  lines: string[];
}

/** Writes `git fast-import` input into a stream, with backpressure. */
class Importer {
  private marks = 0;
  private readonly child;
  private readonly done: Promise<void>;
  constructor(dir: string) {
    this.child = spawn("git", ["fast-import", "--quiet", "--done"], { cwd: dir, stdio: ["pipe", "ignore", "pipe"] });
    let err = "";
    this.child.stderr.on("data", (b: Buffer) => (err += b.toString()));
    this.done = new Promise((resolve, reject) => {
      this.child.on("error", reject);
      this.child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`git fast-import failed (${code}): ${err.slice(0, 500)}`))));
    });
  }
  async write(s: string | Buffer): Promise<void> {
    if (!this.child.stdin.write(s)) await new Promise((r) => this.child.stdin.once("drain", r));
  }
  async blob(content: string | Buffer): Promise<number> {
    const mark = ++this.marks;
    const b = typeof content === "string" ? Buffer.from(content) : content;
    await this.write(`blob\nmark :${mark}\ndata ${b.length}\n`);
    await this.write(b);
    await this.write("\n");
    return mark;
  }
  async commit(c: {
    ref: string;
    author: string;
    time: number;
    message: string;
    from?: number | string;
    ops: string[];
  }): Promise<number> {
    const mark = ++this.marks;
    const msg = Buffer.from(c.message);
    const who = `${c.author} <${c.author.toLowerCase().replace(/ /g, ".")}@example.org> ${c.time} +0000`;
    let s = `commit ${c.ref}\nmark :${mark}\nauthor ${who}\ncommitter ${who}\ndata ${msg.length}\n${c.message}\n`;
    if (c.from !== undefined) s += `from ${typeof c.from === "number" ? `:${c.from}` : c.from}\n`;
    s += c.ops.join("\n") + (c.ops.length ? "\n" : "") + "\n";
    await this.write(s);
    return mark;
  }
  async reset(ref: string, from: number): Promise<void> {
    await this.write(`reset ${ref}\nfrom :${from}\n\n`);
  }
  async finish(): Promise<void> {
    await this.write("done\n");
    this.child.stdin.end();
    await this.done;
  }
}

const AUTHORS = ["Ada Byron", "Grace Hopper", "Alan Turing", "Edsger Dijkstra", "Barbara Liskov", "Ken Thompson", "Frances Allen", "Donald Knuth"];

/**
 * Generates a bare repository in `dir` (created if missing; must be empty). Deterministic for a
 * given seed and options. Returns the planted keys, each with every path it was committed under.
 */
export async function generateRepo(dir: string, opts: GenerateOptions = {}): Promise<GeneratedRepo> {
  const rng = new Rng(opts.seed ?? 1);
  const total = opts.commits ?? 4000;
  const nFiles = opts.files ?? 400;
  const plant = new Set<PlantHow>(opts.plant ?? ["kept", "added-then-removed", "renamed", "side-branch", "shared-blob", "many-edits", "binary-neighbour"]);
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
  await run("git", ["init", "--bare", "--quiet", "--initial-branch=main", dir]);

  const imp = new Importer(dir);
  const files = new Map<string, FileState>();
  const planted: PlantedKey[] = [];
  let time = 1_500_000_000;
  let head: number | undefined;
  let count = 0;
  const main = "refs/heads/main";

  const newPath = () => {
    for (;;) {
      const ext = rng.pick(EXT);
      const p = `${rng.pick(DIRS)}/${rng.pick(WORDS)}_${rng.pick(WORDS)}${rng.int(100)}.${ext}`;
      if (!files.has(p)) return { path: p, ext };
    }
  };
  const modify = async (path: string, f: FileState): Promise<string> => {
    const mark = await imp.blob(f.lines.join("\n") + "\n");
    return `M 100644 :${mark} ${path}`;
  };
  const commitMain = async (message: string, ops: string[]) => {
    time += 600 + rng.int(7200);
    head = await imp.commit({ ref: main, author: rng.pick(AUTHORS), time, message, from: head, ops });
    count++;
    return head;
  };

  // The initial tree.
  const initOps: string[] = [];
  for (let i = 0; i < nFiles; i++) {
    const { path, ext } = newPath();
    const f = { ext, lines: fileText(rng, ext, 40 + rng.int(300)) };
    files.set(path, f);
    initOps.push(await modify(path, f));
  }
  await commitMain("Initial import", initOps);

  // Plantings, spread over the history: at commit index → action.
  const at = new Map<number, () => Promise<void>>();
  const spot = (frac: number) => Math.max(2, Math.floor(total * frac));
  const schedule = (frac: number, fn: () => Promise<void>) => {
    let i = spot(frac);
    while (at.has(i)) i++;
    at.set(i, fn);
  };
  const insertKey = (f: FileState, k: { keyId: string; secret: string }) => {
    const pos = rng.int(f.lines.length + 1);
    f.lines.splice(pos, 0, ...credentialLines(k));
  };
  const removeKey = (f: FileState, k: { keyId: string }) => {
    const i = f.lines.findIndex((l) => l.includes(k.keyId));
    if (i >= 0) f.lines.splice(i, 2);
  };

  if (plant.has("kept")) {
    const k = makeKey(rng);
    schedule(0.1, async () => {
      const path = "deploy/prod.env";
      const f = { ext: "sh", lines: ["# production settings", ...credentialLines(k), "region = eu-west-1"] };
      files.set(path, f);
      await commitMain("Add production settings", [await modify(path, f)]);
    });
    planted.push({ ...k, how: "kept", paths: ["deploy/prod.env"], ref: main });
  }
  if (plant.has("added-then-removed")) {
    const k = makeKey(rng);
    const path = [...files.keys()].filter((p) => p.endsWith(".py"))[0] ?? [...files.keys()][0]!;
    schedule(0.2, async () => {
      const f = files.get(path)!;
      insertKey(f, k);
      await commitMain(`Tune ${path}`, [await modify(path, f)]);
    });
    schedule(0.2 + 5 / total, async () => {
      const f = files.get(path)!;
      removeKey(f, k);
      await commitMain("Remove credentials", [await modify(path, f)]);
    });
    planted.push({ ...k, how: "added-then-removed", paths: [path], ref: main });
  }
  if (plant.has("renamed")) {
    const k = makeKey(rng);
    const from = "config/legacy.ini";
    const to = "config/archive/legacy-2019.ini";
    schedule(0.3, async () => {
      const f = { ext: "yml", lines: ["[default]", ...credentialLines(k), ...fileText(rng, "yml", 30)] };
      files.set(from, f);
      await commitMain("Add legacy config", [await modify(from, f)]);
    });
    schedule(0.3 + 20 / total, async () => {
      files.set(to, files.get(from)!);
      files.delete(from);
      await commitMain("Archive legacy config", [`R ${from} ${to}`]);
    });
    schedule(0.3 + 40 / total, async () => {
      const f = files.get(to)!;
      removeKey(f, k);
      await commitMain("Scrub archived config", [await modify(to, f)]);
    });
    planted.push({ ...k, how: "renamed", paths: [from, to], ref: main });
  }
  if (plant.has("side-branch")) {
    const k = makeKey(rng);
    const ref = "refs/heads/experiment/cache";
    const path = "src/cache/settings.ts";
    schedule(0.5, async () => {
      time += 60;
      const side = await imp.commit({
        ref,
        author: rng.pick(AUTHORS),
        time,
        message: "WIP cache experiment",
        from: head,
        ops: [`M 100644 :${await imp.blob([`export const cacheKey = "${k.keyId}";`, `export const cacheSecret = "${k.secret}";`, ""].join("\n"))} ${path}`],
      });
      await imp.reset(main, head!);
      void side;
      count++;
    });
    planted.push({ ...k, how: "side-branch", paths: [path], ref });
  }
  if (plant.has("shared-blob")) {
    const k = makeKey(rng);
    const a = "services/billing/.aws/credentials";
    const b = "services/auth/.aws/credentials";
    schedule(0.6, async () => {
      const f = { ext: "sh", lines: ["[default]", ...credentialLines(k)] };
      files.set(a, f);
      files.set(b, { ext: "sh", lines: [...f.lines] });
      await commitMain("Add service credentials", [await modify(a, f), await modify(b, files.get(b)!)]);
    });
    schedule(0.6 + 3 / total, async () => {
      files.delete(a);
      files.delete(b);
      await commitMain("Remove service credentials", [`D ${a}`, `D ${b}`]);
    });
    planted.push({ ...k, how: "shared-blob", paths: [a, b], ref: main });
  }
  if (plant.has("many-edits")) {
    const k = makeKey(rng);
    const path = "deploy/terraform.tfvars";
    schedule(0.7, async () => {
      const f = { ext: "yml", lines: [...credentialLines(k), ...fileText(rng, "yml", 50)] };
      files.set(path, f);
      await commitMain("Add terraform variables", [await modify(path, f)]);
    });
    planted.push({ ...k, how: "many-edits", paths: [path], ref: main });
  }
  if (plant.has("binary-neighbour")) {
    const k = makeKey(rng);
    const path = "assets/fixture.bin";
    schedule(0.8, async () => {
      const bytes = Buffer.alloc(64 * 1024);
      for (let i = 0; i < bytes.length; i++) bytes[i] = rng.int(256);
      Buffer.from(`\naws_access_key_id=${k.keyId}\naws_secret_access_key=${k.secret}\n`).copy(bytes, 30_000);
      const mark = await imp.blob(bytes);
      await commitMain("Add fixture", [`M 100644 :${mark} ${path}`]);
    });
    planted.push({ ...k, how: "binary-neighbour", paths: [path], ref: main });
  }

  // Ordinary work: edit a few files per commit, sometimes add, delete or rename one.
  while (count < total) {
    const i = count;
    const action = at.get(i);
    if (action) {
      at.delete(i);
      await action();
      continue;
    }
    const ops: string[] = [];
    const paths = [...files.keys()];
    const touch = 1 + rng.int(3);
    for (let j = 0; j < touch; j++) {
      const path = rng.pick(paths);
      const f = files.get(path)!;
      if (path === "deploy/prod.env") continue;
      const edits = 1 + rng.int(6);
      for (let e = 0; e < edits; e++) {
        const pos = rng.int(f.lines.length + 1);
        const r = rng.int(3);
        if (r === 0 && f.lines.length > 20 && !f.lines[pos]?.includes("aws_")) f.lines.splice(pos, 1);
        else if (r === 1 && pos < f.lines.length && !f.lines[pos]!.includes("aws_")) f.lines[pos] = line(rng, f.ext);
        else f.lines.splice(pos, 0, ...fileText(rng, f.ext, 1 + rng.int(8)));
      }
      if (f.lines.length > 1500) f.lines.splice(0, 300);
      ops.push(await modify(path, f));
    }
    const r = rng.int(40);
    if (r === 0) {
      const { path, ext } = newPath();
      const f = { ext, lines: fileText(rng, ext, 20 + rng.int(200)) };
      files.set(path, f);
      ops.push(await modify(path, f));
    } else if (r === 1 && files.size > nFiles / 2) {
      const victim = rng.pick(paths);
      if (!victim.startsWith("deploy/") && !victim.startsWith("config/") && !ops.some((o) => o.endsWith(` ${victim}`))) {
        files.delete(victim);
        ops.push(`D ${victim}`);
      }
    }
    await commitMain(`${rng.pick(["Fix", "Add", "Update", "Refactor", "Tidy", "Speed up"])} ${rng.pick(WORDS)} ${rng.pick(WORDS)}`, ops);
  }
  await imp.finish();
  return { dir, commits: count, planted };
}

function run(cmd: string, args: string[], cwd?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (b: Buffer) => (out += b.toString()));
    child.stderr.on("data", (b: Buffer) => (err += b.toString()));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args[0]} failed (${code}): ${err.slice(0, 300)}`))));
  });
}
