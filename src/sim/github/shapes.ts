/** Builders for GitHub REST object shapes (users, repos, issues, comments, labels, apps). */
import type { SimApp, SimComment, SimInstallation, SimIssue, SimLabel, SimReaction, SimRepo, SimState, SimUser } from "./state.js";

export interface Urls { web: string; api: string }

export const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, "Z");
export const nodeId = (prefix: string, id: number) => `${prefix}_${Buffer.from(`sim:${prefix}:${id}`).toString("base64url")}`;

export function simpleUser(u: Urls, user: SimUser): Record<string, unknown> {
  const api = `${u.api}/users/${encodeURIComponent(user.login)}`;
  return {
    login: user.login,
    id: user.id,
    node_id: nodeId(user.type === "Bot" ? "BOT" : user.type === "Organization" ? "O" : "U", user.id),
    avatar_url: `${u.web}/avatars/u/${user.id}?v=4`,
    gravatar_id: "",
    url: api,
    html_url: user.type === "Bot" ? `${u.web}/apps/${encodeURIComponent(user.login.replace(/\[bot\]$/, ""))}` : `${u.web}/${encodeURIComponent(user.login)}`,
    followers_url: `${api}/followers`,
    following_url: `${api}/following{/other_user}`,
    gists_url: `${api}/gists{/gist_id}`,
    starred_url: `${api}/starred{/owner}{/repo}`,
    subscriptions_url: `${api}/subscriptions`,
    organizations_url: `${api}/orgs`,
    repos_url: `${api}/repos`,
    events_url: `${api}/events{/privacy}`,
    received_events_url: `${api}/received_events`,
    type: user.type,
    user_view_type: "public",
    site_admin: false,
  };
}

export function publicUser(u: Urls, user: SimUser, state: SimState): Record<string, unknown> {
  const publicRepos = [...state.repos.values()].filter((r) => r.owner.toLowerCase() === user.login.toLowerCase() && !r.private).length;
  return {
    ...simpleUser(u, user),
    name: user.name,
    company: null,
    blog: "",
    location: null,
    email: user.type === "User" ? null : null,
    hireable: null,
    bio: null,
    twitter_username: null,
    public_repos: publicRepos,
    public_gists: 0,
    followers: 0,
    following: 0,
    created_at: iso(user.createdAt),
    updated_at: iso(user.createdAt),
  };
}

export function licenseNull() { return null; }

export function repository(u: Urls, repo: SimRepo, state: SimState, opts: { full?: boolean; webhook?: boolean; permissionsFor?: string } = {}): Record<string, unknown> {
  const owner = state.ensureUser(repo.owner);
  const full = `${repo.owner}/${repo.name}`;
  const api = `${u.api}/repos/${full}`;
  const host = new URL(u.web).host;
  const openIssues = repo.issues.filter((i) => i.state === "open").length;
  const base: Record<string, unknown> = {
    id: repo.id,
    node_id: nodeId("R", repo.id),
    name: repo.name,
    full_name: full,
    private: repo.private,
    owner: simpleUser(u, owner),
    html_url: `${u.web}/${full}`,
    description: null,
    fork: !!repo.forkOf,
    url: api,
    forks_url: `${api}/forks`,
    keys_url: `${api}/keys{/key_id}`,
    collaborators_url: `${api}/collaborators{/collaborator}`,
    teams_url: `${api}/teams`,
    hooks_url: `${api}/hooks`,
    issue_events_url: `${api}/issues/events{/number}`,
    events_url: `${api}/events`,
    assignees_url: `${api}/assignees{/user}`,
    branches_url: `${api}/branches{/branch}`,
    tags_url: `${api}/tags`,
    blobs_url: `${api}/git/blobs{/sha}`,
    git_tags_url: `${api}/git/tags{/sha}`,
    git_refs_url: `${api}/git/refs{/sha}`,
    trees_url: `${api}/git/trees{/sha}`,
    statuses_url: `${api}/statuses/{sha}`,
    languages_url: `${api}/languages`,
    stargazers_url: `${api}/stargazers`,
    contributors_url: `${api}/contributors`,
    subscribers_url: `${api}/subscribers`,
    subscription_url: `${api}/subscription`,
    commits_url: `${api}/commits{/sha}`,
    git_commits_url: `${api}/git/commits{/sha}`,
    comments_url: `${api}/comments{/number}`,
    issue_comment_url: `${api}/issues/comments{/number}`,
    contents_url: `${api}/contents/{+path}`,
    compare_url: `${api}/compare/{base}...{head}`,
    merges_url: `${api}/merges`,
    archive_url: `${api}/{archive_format}{/ref}`,
    downloads_url: `${api}/downloads`,
    issues_url: `${api}/issues{/number}`,
    pulls_url: `${api}/pulls{/number}`,
    milestones_url: `${api}/milestones{/number}`,
    notifications_url: `${api}/notifications{?since,all,participating}`,
    labels_url: `${api}/labels{/name}`,
    releases_url: `${api}/releases{/id}`,
    deployments_url: `${api}/deployments`,
    created_at: opts.webhook ? Math.floor(repo.createdAt.getTime() / 1000) : iso(repo.createdAt),
    updated_at: iso(repo.updatedAt),
    pushed_at: repo.pushedAt ? (opts.webhook ? Math.floor(repo.pushedAt.getTime() / 1000) : iso(repo.pushedAt)) : null,
    git_url: `git://${host}/${full}.git`,
    ssh_url: `git@${host}:${full}.git`,
    clone_url: `${u.web}/${full}.git`,
    svn_url: `${u.web}/${full}`,
    homepage: null,
    size: 0,
    stargazers_count: 0,
    watchers_count: 0,
    language: null,
    has_issues: true,
    has_projects: true,
    has_downloads: true,
    has_wiki: true,
    has_pages: false,
    has_discussions: false,
    forks_count: 0,
    mirror_url: null,
    archived: false,
    disabled: false,
    open_issues_count: openIssues,
    license: null,
    allow_forking: true,
    is_template: false,
    web_commit_signoff_required: false,
    topics: [],
    visibility: repo.private ? "private" : "public",
    forks: 0,
    open_issues: openIssues,
    watchers: 0,
    default_branch: repo.defaultBranch,
  };
  if (opts.webhook) {
    base.stargazers = 0;
    base.master_branch = repo.defaultBranch;
    if (owner.type === "Organization") base.organization = owner.login;
  }
  if (opts.permissionsFor) {
    const role = state.roleOf(repo, opts.permissionsFor);
    const lv = ["read", "triage", "write", "maintain", "admin"].indexOf(role ?? (repo.private ? "" : "read"));
    base.permissions = { admin: lv >= 4, maintain: lv >= 3, push: lv >= 2, triage: lv >= 1, pull: lv >= 0 };
  }
  if (opts.full && repo.forkOf) {
    // GitHub: the immediate parent, and the root of the fork network.
    let root = repo.forkOf;
    while (root.forkOf) root = root.forkOf;
    base.parent = repository(u, repo.forkOf, state, { full: false });
    base.source = repository(u, root, state, { full: false });
  }
  if (opts.full) {
    base.temp_clone_token = repo.private ? "" : null;
    base.network_count = 0;
    base.subscribers_count = 0;
    if (owner.type === "Organization") base.organization = simpleUser(u, owner);
  }
  return base;
}

export function label(u: Urls, repo: SimRepo, l: SimLabel): Record<string, unknown> {
  return {
    id: l.id,
    node_id: nodeId("LA", l.id),
    url: `${u.api}/repos/${repo.owner}/${repo.name}/labels/${encodeURIComponent(l.name)}`,
    name: l.name,
    color: l.color,
    default: l.default,
    description: l.description,
  };
}

export function reactionRollup(u: Urls, url: string, reactions: SimReaction[]): Record<string, unknown> {
  const count = (c: string) => reactions.filter((r) => r.content === c).length;
  return {
    url: `${url}/reactions`,
    total_count: reactions.length,
    "+1": count("+1"), "-1": count("-1"), laugh: count("laugh"), hooray: count("hooray"),
    confused: count("confused"), heart: count("heart"), rocket: count("rocket"), eyes: count("eyes"),
  };
}

export function reaction(u: Urls, r: SimReaction, state: SimState): Record<string, unknown> {
  return { id: r.id, node_id: nodeId("REA", r.id), user: simpleUser(u, state.ensureUser(r.user)), content: r.content, created_at: iso(r.createdAt) };
}

export function integration(u: Urls, app: SimApp, state: SimState): Record<string, unknown> {
  return {
    id: app.id,
    slug: app.slug,
    node_id: nodeId("A", app.id),
    client_id: `Iv1.${app.id.toString(16).padStart(16, "0")}`,
    owner: simpleUser(u, state.ensureUser(app.owner, "Organization")),
    name: app.name,
    description: "",
    external_url: `${u.web}/apps/${app.slug}`,
    html_url: `${u.web}/apps/${app.slug}`,
    created_at: iso(app.createdAt),
    updated_at: iso(app.createdAt),
    permissions: app.permissions,
    events: app.events,
  };
}

export function authorAssociation(repo: SimRepo, login: string, state: SimState): string {
  const user = state.getUser(login);
  if (user?.type === "Bot") return "NONE";
  if (repo.owner.toLowerCase() === login.toLowerCase()) return "OWNER";
  const role = state.roleOf(repo, login);
  if (role) return "COLLABORATOR";
  return "NONE";
}

export function issue(u: Urls, repo: SimRepo, i: SimIssue, state: SimState): Record<string, unknown> {
  const api = `${u.api}/repos/${repo.owner}/${repo.name}/issues/${i.number}`;
  const userObj = (l: string) => simpleUser(u, state.ensureUser(l));
  const labels = i.labels.map((n) => repo.labels.find((l) => l.name === n)).filter((l): l is SimLabel => !!l);
  return {
    url: api,
    repository_url: `${u.api}/repos/${repo.owner}/${repo.name}`,
    labels_url: `${api}/labels{/name}`,
    comments_url: `${api}/comments`,
    events_url: `${api}/events`,
    html_url: `${u.web}/${repo.owner}/${repo.name}/issues/${i.number}`,
    id: i.id,
    node_id: nodeId("I", i.id),
    number: i.number,
    title: i.title,
    user: userObj(i.user),
    labels: labels.map((l) => label(u, repo, l)),
    state: i.state,
    locked: i.locked,
    assignee: i.assignees.length ? userObj(i.assignees[0]) : null,
    assignees: i.assignees.map(userObj),
    milestone: null,
    comments: i.comments.length,
    created_at: iso(i.createdAt),
    updated_at: iso(i.updatedAt),
    closed_at: i.closedAt ? iso(i.closedAt) : null,
    closed_by: i.closedBy ? userObj(i.closedBy) : null,
    author_association: authorAssociation(repo, i.user, state),
    active_lock_reason: i.locked ? (i.lockReason ?? null) : null,
    sub_issues_summary: { total: 0, completed: 0, percent_completed: 0 },
    body: i.body,
    reactions: reactionRollup(u, api, i.reactions),
    timeline_url: `${api}/timeline`,
    performed_via_github_app: i.viaApp && state.app ? integration(u, state.app, state) : null,
    state_reason: i.stateReason,
  };
}

export function comment(u: Urls, repo: SimRepo, c: SimComment, state: SimState): Record<string, unknown> {
  const api = `${u.api}/repos/${repo.owner}/${repo.name}/issues/comments/${c.id}`;
  return {
    url: api,
    html_url: `${u.web}/${repo.owner}/${repo.name}/issues/${c.issueNumber}#issuecomment-${c.id}`,
    issue_url: `${u.api}/repos/${repo.owner}/${repo.name}/issues/${c.issueNumber}`,
    id: c.id,
    node_id: nodeId("IC", c.id),
    user: simpleUser(u, state.ensureUser(c.user)),
    created_at: iso(c.createdAt),
    updated_at: iso(c.updatedAt),
    author_association: authorAssociation(repo, c.user, state),
    body: c.body,
    reactions: reactionRollup(u, api, c.reactions),
    performed_via_github_app: c.viaApp && state.app ? integration(u, state.app, state) : null,
  };
}

export function installation(u: Urls, inst: SimInstallation, app: SimApp, state: SimState): Record<string, unknown> {
  const acct = state.ensureUser(inst.account, inst.accountType);
  return {
    id: inst.id,
    client_id: `Iv1.${app.id.toString(16).padStart(16, "0")}`,
    account: simpleUser(u, acct),
    repository_selection: "all",
    access_tokens_url: `${u.api}/app/installations/${inst.id}/access_tokens`,
    repositories_url: `${u.api}/installation/repositories`,
    html_url: `${u.web}/${inst.accountType === "Organization" ? `organizations/${inst.account}/` : ""}settings/installations/${inst.id}`,
    app_id: app.id,
    app_slug: app.slug,
    target_id: acct.id,
    target_type: inst.accountType,
    permissions: app.permissions,
    events: app.events,
    created_at: iso(inst.createdAt),
    updated_at: iso(inst.createdAt),
    single_file_name: null,
    has_multiple_single_files: false,
    single_file_paths: [],
    suspended_by: inst.suspendedBy ? simpleUser(u, state.ensureUser(inst.suspendedBy)) : null,
    suspended_at: inst.suspendedAt ? iso(inst.suspendedAt) : null,
  };
}
