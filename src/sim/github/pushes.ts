/** Build and emit `push` webhooks from a before/after ref snapshot, exactly like GitHub. */
import { commitInfo, diffFiles, isAncestor, resolveCommit, revList, ZERO_SHA } from "./git.js";
import { userByEmail } from "./commits.js";
import type { SimCore } from "./core.js";
import type { SimRepo } from "./state.js";

export const MAX_PUSH_COMMITS = 2048;
export const MAX_PUSH_FILES = 3000;
/** More tags than this in one push: no push event for any of them. */
export const MAX_TAGS_WITH_EVENTS = 3;

async function payloadCommit(core: SimCore, repo: SimRepo, sha: string, distinct: boolean): Promise<Record<string, unknown>> {
  const c = await commitInfo(repo.dir, sha);
  const files = await diffFiles(repo.dir, c.parents[0], sha);
  const added: string[] = [], removed: string[] = [], modified: string[] = [];
  for (const f of files) {
    if (f.status === "added" || f.status === "copied") added.push(f.filename);
    else if (f.status === "removed") removed.push(f.filename);
    else if (f.status === "renamed") { removed.push(f.previous_filename!); added.push(f.filename); }
    else modified.push(f.filename);
  }
  const person = (p: { name: string; email: string }) => {
    const u = userByEmail(core.state, p.email);
    return u ? { name: p.name, email: p.email, username: u.login } : { name: p.name, email: p.email };
  };
  return {
    id: c.sha, tree_id: c.tree, distinct, message: c.message, timestamp: c.committer.date,
    url: `${core.urls.web}/${repo.owner}/${repo.name}/commit/${c.sha}`,
    author: person(c.author), committer: person(c.committer),
    added: added.slice(0, MAX_PUSH_FILES), removed: removed.slice(0, MAX_PUSH_FILES), modified: modified.slice(0, MAX_PUSH_FILES),
  };
}

const short = (s: string) => s.slice(0, 12);

export async function emitPushes(core: SimCore, repo: SimRepo, before: Map<string, string>, after: Map<string, string>, pusher: string): Promise<void> {
  const refs = [...new Set([...before.keys(), ...after.keys()])].sort();
  const preexisting = [...new Set(before.values())];
  const web = `${core.urls.web}/${repo.owner}/${repo.name}`;
  // GitHub: "Events will not be created for tags when more than three tags are pushed at once."
  const tagsPushed = refs.filter((r) => r.startsWith("refs/tags/") && (before.get(r) ?? ZERO_SHA) !== (after.get(r) ?? ZERO_SHA)).length;
  for (const ref of refs) {
    const b = before.get(ref) ?? ZERO_SHA;
    const a = after.get(ref) ?? ZERO_SHA;
    if (a === b) continue;
    if (ref.startsWith("refs/tags/") && tagsPushed > MAX_TAGS_WITH_EVENTS) {
      for (const sha of a === ZERO_SHA ? [] : await revList(repo.dir, a, preexisting)) repo.seenCommits.add(sha);
      continue;
    }
    const created = b === ZERO_SHA;
    const deleted = a === ZERO_SHA;
    const forced = !created && !deleted && !(await isAncestor(repo.dir, b, a));
    let commits: Record<string, unknown>[] = [];
    let head: Record<string, unknown> | null = null;
    if (!deleted) {
      const unreferenced = await revList(repo.dir, a, preexisting);
      const list = created ? unreferenced : await revList(repo.dir, a, [b]);
      const distinct = (sha: string) => !repo.seenCommits.has(sha);
      for (const sha of list.slice(0, MAX_PUSH_COMMITS)) commits.push(await payloadCommit(core, repo, sha, distinct(sha)));
      head = commits.find((c) => c.id === a) ?? (await payloadCommit(core, repo, a, distinct(a)));
      for (const sha of list) repo.seenCommits.add(sha);
      repo.seenCommits.add(a);
    }
    let baseRef: string | null = null;
    if (created && !deleted) {
      // the branch whose tip is the pushed commit (peeled, so tag pushes name their branch too)
      const target = (await resolveCommit(repo.dir, a)) ?? a;
      for (const [r, s] of after) if (r !== ref && r.startsWith("refs/heads/") && s === target) { baseRef = r; break; }
    }
    const shortRef = ref.replace(/^refs\/(heads|tags)\//, "");
    const compare = created ? `${web}/compare/${shortRef}` : `${web}/compare/${short(b)}...${short(a)}`;
    const user = core.state.ensureUser(pusher);
    repo.pushedAt = new Date();
    core.emit("push", repo, pusher, {
      ref, before: b, after: a, created, deleted, forced, base_ref: baseRef, compare, commits, head_commit: head,
      pusher: { name: user.login, email: user.email },
    }, { webhookRepo: true });
  }
}
