// The files under a path, found with one readdir per directory: no stat per file (the reader
// learns the size by reading) and no realpath per directory (only symlinks need resolving).
import { readdirSync, realpathSync, statSync, type Dirent } from "node:fs";
import { normalize, sep } from "node:path";

const SKIP_DIRS = new Set([".git", "node_modules"]);

export type Warn = (path: string, e: unknown) => void;
/** Something deliberately left alone, and why. */
export type Note = (path: string, why: string) => void;

const child = (dir: string, name: string) => (dir === "." ? name : dir.endsWith(sep) ? dir + name : dir + sep + name);

/**
 * Calls onFile for each regular file under root (or root itself, whatever it is: a FIFO named
 * on the command line is read), in name order within each directory; false when root cannot be
 * read. Symlink loops and directories reached twice are visited once; a symlink whose target is
 * outside root is not followed (what it points to is not part of the tree, and `/` or `/proc`
 * would never end).
 */
export function walk(root: string, onFile: (path: string) => void, warn: Warn, note: Note = () => undefined): boolean {
  const seenDirs = new Set<string>();
  let rootReal = "";
  const inside = (real: string) => real === rootReal || real.startsWith(rootReal.endsWith(sep) ? rootReal : rootReal + sep);

  /** `real`: the directory's resolved path; a subdirectory that is no symlink resolves under it. */
  function visitDir(p: string, real: string): void {
    if (seenDirs.has(real)) return;
    seenDirs.add(real);
    let entries: Dirent[];
    try {
      entries = readdirSync(p, { withFileTypes: true });
    } catch (e) {
      warn(p, e);
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const d of entries) {
      if (SKIP_DIRS.has(d.name)) continue;
      const c = child(p, d.name);
      if (d.isFile()) onFile(c);
      else if (d.isDirectory()) visitDir(c, child(real, d.name));
      else if (d.isSymbolicLink()) visitLink(c);
    }
  }

  function visitLink(p: string): void {
    let st;
    try {
      st = statSync(p);
    } catch (e) {
      warn(p, e);
      return;
    }
    const real = resolved(p);
    if (!inside(real)) return note(p, `not followed: a symlink to ${real}, outside ${root}`);
    if (st.isFile()) onFile(p);
    else if (st.isDirectory()) visitDir(p, real);
  }

  let st;
  try {
    st = statSync(root);
  } catch (e) {
    warn(root, e);
    return false;
  }
  rootReal = resolved(root);
  if (st.isDirectory()) visitDir(normalize(root), rootReal);
  else if (st.isSocket()) warn(root, Object.assign(new Error("a socket"), { code: "ESOCKET" }));
  else onFile(root);
  return true;
}

function resolved(p: string): string {
  try {
    return realpathSync.native(p);
  } catch {
    return p;
  }
}
