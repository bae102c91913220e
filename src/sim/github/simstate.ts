/** Plain-JSON view of the simulator state (for /_sim/state and programmatic accessors). */
import type { SimCore } from "./core.js";
import type { SimIssue, SimRepo } from "./state.js";

export function issueView(i: SimIssue) {
  return {
    number: i.number, title: i.title, body: i.body ?? "", state: i.state, state_reason: i.stateReason, locked: i.locked,
    labels: [...i.labels], assignees: [...i.assignees], user: i.user,
    comments: i.comments.map((c) => ({ id: c.id, user: c.user, body: c.body, reactions: c.reactions.map((r) => r.content) })),
    reactions: [...i.reactions.map((r) => r.content), ...i.comments.flatMap((c) => c.reactions.map((r) => r.content))],
  };
}

export function checkRunView(r: SimRepo["checkRuns"][number]) {
  return { id: r.id, head_sha: r.head_sha, name: r.name, status: r.status, conclusion: r.conclusion, output: r.output ? structuredClone(r.output) : undefined };
}

export function simState(core: SimCore, withSecrets: boolean) {
  const repos = [...core.state.repos.values()].map((r) => ({
    id: r.id, owner: r.owner, name: r.name, full_name: `${r.owner}/${r.name}`, private: r.private, default_branch: r.defaultBranch,
    deleted_issues: [...(r.deletedIssues?.keys() ?? [])],
    issues: r.issues.map(issueView),
    labels: r.labels.map((l) => l.name),
    check_runs: r.checkRuns.map(checkRunView),
    secrets: withSecrets ? Object.fromEntries([...r.secrets.values()].map((s) => [s.name, s.value])) : [...r.secrets.keys()],
    environments: Object.fromEntries([...r.environments.values()].map((e) => [e.name, {
      secrets: withSecrets ? Object.fromEntries([...e.secrets.values()].map((s) => [s.name, s.value])) : [...e.secrets.keys()],
    }])),
  }));
  return {
    repos,
    installations: [...core.state.installations.values()].map((i) => ({ id: i.id, account: i.account, suspended: !!i.suspendedAt })),
    deliveries: core.hooks.deliveries.map((d) => ({ id: d.id, event: d.event, action: d.action, status: d.status, error: d.error, at: d.at, redelivery: !!d.redelivery })),
  };
}
