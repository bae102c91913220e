/** Repository, commits, compare, contents, collaborators. */
import { ApiError, notFound } from "../errors.js";
import { commitInfo, countRange, diffFiles, diffText, listDir, listRefs, lookupPath, mergeBase, readBlob, resolveCommit, revList } from "../git.js";
import { commitObject, diffEntry, fullCommit } from "../commits.js";
import { paginate, type Ctx, type Route } from "../core.js";
import { repository, simpleUser } from "../shapes.js";
import type { SimRepo } from "../state.js";

export const MAX_COMPARE_COMMITS = 250;
export const MAX_COMPARE_FILES = 300;
export const COMMIT_FILES_PER_PAGE = 300;
export const MAX_COMMIT_FILES = 3000;

async function ensureNotEmpty(repo: SimRepo) {
  if ((await listRefs(repo.dir)).size === 0) throw new ApiError(409, "Git Repository is empty.");
}

async function resolveOr422(repo: SimRepo, ref: string): Promise<string> {
  await ensureNotEmpty(repo);
  const sha = await resolveCommit(repo.dir, ref);
  if (!sha) throw new ApiError(422, `No commit found for SHA: ${ref}`);
  return sha;
}

const RAW_ACCEPT = /application\/vnd\.github(\.v3)?\.raw/;
const DIFF_ACCEPT = /application\/vnd\.github(?:\.v3)?\.(diff|patch)/;
const diffKind = (ctx: Ctx) => DIFF_ACCEPT.exec(String(ctx.headers.accept ?? ""))?.[1] as "diff" | "patch" | undefined;
const textRes = (raw: Buffer) => ({ status: 200, raw, headers: { "Content-Type": "text/plain; charset=utf-8" } });

async function contents(ctx: Ctx) {
  const { core } = ctx;
  const repo = core.repo(ctx, ["contents", "read", "read"]);
  const path = (ctx.params.path ?? "").replace(/^\/+|\/+$/g, "");
  if ((await listRefs(repo.dir)).size === 0) throw new ApiError(404, "This repository is empty.");
  const ref = ctx.query.get("ref") || repo.defaultBranch;
  const sha = await resolveCommit(repo.dir, ref);
  if (!sha) throw new ApiError(404, `No commit found for the ref ${ref}`);
  const entry = await lookupPath(repo.dir, sha, path);
  if (!entry) throw notFound();
  const api = `${core.urls.api}/repos/${repo.owner}/${repo.name}`;
  const web = `${core.urls.web}/${repo.owner}/${repo.name}`;
  const item = (e: { type: string; sha: string; size: number; path: string; name: string }) => {
    const type = e.type === "tree" ? "dir" : e.type === "commit" ? "submodule" : "file";
    const url = `${api}/contents/${e.path}?ref=${encodeURIComponent(ref)}`;
    const git_url = `${api}/git/${type === "dir" ? "trees" : "blobs"}/${e.sha}`;
    const html_url = `${web}/${type === "dir" ? "tree" : "blob"}/${ref}/${e.path}`;
    return {
      type, size: type === "file" ? e.size : 0, name: e.name, path: e.path, sha: e.sha, url, git_url, html_url,
      download_url: type === "file" ? `${web}/raw/${ref}/${e.path}` : null,
      _links: { self: url, git: git_url, html: html_url },
    };
  };
  if (entry.type === "root" || entry.type === "tree") {
    const items = await listDir(repo.dir, sha, path);
    return { status: 200, body: items.map(item) };
  }
  const blob = await readBlob(repo.dir, entry.sha);
  if (RAW_ACCEPT.test(String(ctx.headers.accept ?? ""))) {
    return { status: 200, raw: blob, headers: { "Content-Type": "text/plain; charset=utf-8" } };
  }
  const b64 = blob.toString("base64").replace(/(.{60})/g, "$1\n");
  return { status: 200, body: { ...item(entry), content: b64 + (b64.endsWith("\n") || !b64 ? "" : "\n"), encoding: "base64" } };
}

const ROLE_TO_PERMISSION: Record<string, string> = { admin: "admin", maintain: "write", write: "write", triage: "read", read: "read" };
const LV = ["read", "triage", "write", "maintain", "admin"];

export const repoRoutes: Route[] = [
  { method: "GET", pattern: "/repos/:owner/:repo", handler: (ctx) => {
    const repo = ctx.core.repo(ctx);
    const who = ctx.principal.kind === "user" ? ctx.principal.login : undefined;
    const body = repository(ctx.core.urls, repo, ctx.core.state, { full: true, permissionsFor: who });
    if (ctx.principal.kind === "installation") body.permissions = { admin: false, maintain: false, push: true, triage: true, pull: true };
    return { status: 200, body };
  } },
  { method: "GET", pattern: "/repos/:owner/:repo/commits", handler: async (ctx) => {
    const repo = ctx.core.repo(ctx, ["contents", "read", "read"]);
    await ensureNotEmpty(repo);
    const start = await resolveOr422(repo, ctx.query.get("sha") || repo.defaultBranch);
    const shas = (await revList(repo.dir, start, [])).reverse();
    const { items, headers } = paginate(ctx, shas);
    const body = [];
    for (const s of items) body.push(commitObject(ctx.core.urls, repo, await commitInfo(repo.dir, s), ctx.core.state));
    return { status: 200, body, headers };
  } },
  { method: "GET", pattern: "/repos/:owner/:repo/commits/:ref", handler: async (ctx) => {
    const repo = ctx.core.repo(ctx, ["contents", "read", "read"]);
    const sha = await resolveOr422(repo, ctx.params.ref);
    const kind = diffKind(ctx);
    if (kind) return textRes(await diffText(repo.dir, (await commitInfo(repo.dir, sha)).parents[0], sha, kind));
    const { obj, files } = await fullCommit(ctx.core.urls, repo, sha, ctx.core.state);
    const capped = files.slice(0, MAX_COMMIT_FILES);
    const { items, headers } = paginate(ctx, capped, COMMIT_FILES_PER_PAGE, COMMIT_FILES_PER_PAGE);
    return { status: 200, headers, body: { ...obj, files: items.map((f) => diffEntry(ctx.core.urls, repo, sha, f)) } };
  } },
  { method: "GET", pattern: "/repos/:owner/:repo/compare/:basehead", handler: async (ctx) => {
    const { core } = ctx;
    const repo = core.repo(ctx, ["contents", "read", "read"]);
    const bh = ctx.params.basehead;
    const m = /^(.+?)(\.\.\.?)(.+)$/.exec(bh);
    if (!m) throw notFound();
    await ensureNotEmpty(repo);
    const base = await resolveCommit(repo.dir, m[1]);
    const head = await resolveCommit(repo.dir, m[3]);
    if (!base || !head) throw notFound();
    const mb = await mergeBase(repo.dir, base, head);
    if (!mb) throw notFound();
    const kind = diffKind(ctx);
    if (kind) return textRes(await diffText(repo.dir, mb, head, kind));
    const ahead = await countRange(repo.dir, mb, head);
    const behind = await countRange(repo.dir, mb, base);
    const status = ahead === 0 && behind === 0 ? "identical" : behind === 0 ? "ahead" : ahead === 0 ? "behind" : "diverged";
    const all = await revList(repo.dir, head, [base]);
    const paged = ctx.query.has("page") || ctx.query.has("per_page");
    let commitShas = all.slice(0, MAX_COMPARE_COMMITS);
    let headers: Record<string, string> = {};
    if (paged) ({ items: commitShas, headers } = paginate(ctx, all, 250, 250));
    const commits = [];
    for (const s of commitShas) commits.push(commitObject(core.urls, repo, await commitInfo(repo.dir, s), core.state));
    const files = (await diffFiles(repo.dir, mb, head)).slice(0, MAX_COMPARE_FILES);
    const web = `${core.urls.web}/${repo.owner}/${repo.name}`;
    return { status: 200, headers, body: {
      url: `${core.urls.api}/repos/${repo.owner}/${repo.name}/compare/${bh}`,
      html_url: `${web}/compare/${bh}`,
      permalink_url: `${web}/compare/${repo.owner}:${base.slice(0, 7)}...${repo.owner}:${head.slice(0, 7)}`,
      diff_url: `${web}/compare/${bh}.diff`,
      patch_url: `${web}/compare/${bh}.patch`,
      base_commit: commitObject(core.urls, repo, await commitInfo(repo.dir, base), core.state),
      merge_base_commit: commitObject(core.urls, repo, await commitInfo(repo.dir, mb), core.state),
      status, ahead_by: ahead, behind_by: behind, total_commits: all.length,
      commits,
      files: files.map((f) => diffEntry(core.urls, repo, head, f)),
    } };
  } },
  { method: "GET", pattern: "/repos/:owner/:repo/contents", handler: contents },
  { method: "GET", pattern: "/repos/:owner/:repo/contents/*path", handler: contents },
  { method: "GET", pattern: "/repos/:owner/:repo/collaborators/:username/permission", handler: (ctx) => {
    const { core } = ctx;
    const repo = core.repo(ctx, ["metadata", "read", "read"]);
    const user = core.state.getUser(ctx.params.username);
    if (!user) throw new ApiError(404, `${ctx.params.username} is not a user`);
    const role = core.state.roleOf(repo, user.login);
    const roleName = role ?? (repo.private ? "none" : "read");
    const permission = role ? ROLE_TO_PERMISSION[role] : repo.private ? "none" : "read";
    const lv = LV.indexOf(roleName);
    const collaborator = {
      ...simpleUser(core.urls, user),
      permissions: { admin: lv >= 4, maintain: lv >= 3, push: lv >= 2, triage: lv >= 1, pull: lv >= 0 },
      role_name: roleName,
    };
    return { status: 200, body: { permission, role_name: roleName, user: collaborator } };
  } },
  { method: "GET", pattern: "/repos/:owner/:repo/collaborators/:username", handler: (ctx) => {
    const repo = ctx.core.repo(ctx, ["metadata", "read", "read"]);
    const user = ctx.core.state.getUser(ctx.params.username);
    if (!user || !ctx.core.state.roleOf(repo, user.login)) throw notFound();
    return { status: 204 };
  } },
];
