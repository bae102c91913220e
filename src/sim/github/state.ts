/** In-memory model of the simulated GitHub. */
export type Role = "admin" | "maintain" | "write" | "triage" | "read";

export interface SimUser {
  id: number;
  login: string;
  type: "User" | "Bot" | "Organization";
  email: string | null;
  name: string | null;
  createdAt: Date;
}

export interface SimApp {
  id: number;
  slug: string;
  name: string;
  publicKeyPem: string;
  webhookSecret: string;
  webhookUrl?: string;
  hookId: number;
  permissions: Record<string, string>;
  events: string[];
  botUser: SimUser;
  /** the account that registered the app (`GET /app` → owner) */
  owner: string;
  createdAt: Date;
}

export interface SimInstallation {
  id: number;
  account: string;
  accountType: "Organization" | "User";
  createdAt: Date;
  /** Suspended (by the app's owner or the account's): no API access, no webhooks but `installation` ones. */
  suspendedAt?: Date | null;
  suspendedBy?: string | null;
}

export interface SimLabel { id: number; name: string; color: string; description: string | null; default: boolean }

export interface SimReaction { id: number; user: string; content: string; createdAt: Date }

export interface SimComment {
  id: number;
  issueNumber: number;
  user: string;
  body: string;
  viaApp: boolean;
  createdAt: Date;
  updatedAt: Date;
  reactions: SimReaction[];
}

export interface SimIssue {
  id: number;
  number: number;
  title: string;
  body: string | null;
  state: "open" | "closed";
  stateReason: "completed" | "not_planned" | "reopened" | "duplicate" | null;
  labels: string[];
  assignees: string[];
  user: string;
  viaApp: boolean;
  locked: boolean;
  lockReason?: string | null;
  createdAt: Date;
  updatedAt: Date;
  closedAt: Date | null;
  closedBy: string | null;
  comments: SimComment[];
  reactions: SimReaction[];
}

export interface SimCheckRun {
  id: number;
  suiteId: number;
  head_sha: string;
  name: string;
  status: string;
  conclusion?: string;
  external_id: string | null;
  details_url: string | null;
  started_at: Date | null;
  completed_at: Date | null;
  output?: { title?: string; summary?: string; text?: string; annotations?: unknown[] };
  appId: number;
}

export interface SimSecret { name: string; value: string; createdAt: Date; updatedAt: Date }

export interface SimKeyPair { keyId: string; publicKey: Uint8Array; privateKey: Uint8Array }

export interface SimEnvironment { id: number; name: string; secrets: Map<string, SimSecret>; keyPair?: SimKeyPair; createdAt: Date }

export interface SimRepo {
  id: number;
  owner: string;
  name: string;
  private: boolean;
  defaultBranch: string;
  dir: string;
  createdAt: Date;
  updatedAt: Date;
  /** GitHub sets it to the creation time until the first push */
  pushedAt: Date | null;
  collaborators: Map<string, Role>;
  issues: SimIssue[];
  labels: SimLabel[];
  checkRuns: SimCheckRun[];
  secrets: Map<string, SimSecret>;
  keyPair?: SimKeyPair;
  environments: Map<string, SimEnvironment>;
  /** every commit sha ever pushed (for the push payload's `distinct`) */
  seenCommits: Set<string>;
  /** the repository this one was forked from (GitHub: `fork: true`, `parent`, `source`) */
  forkOf?: SimRepo;
  /** numbers of deleted issues: 410 Gone from then on, and never reused */
  deletedIssues?: Map<number, Date>;
}

export interface SimToken {
  token: string;
  kind: "installation" | "user";
  installationId?: number;
  login?: string;
  /** a token limited to some repositories: their IDs (a renamed repository stays in scope) */
  repositoryIds?: number[];
  permissions?: Record<string, string>;
  expiresAt?: Date;
}

export class SimState {
  users = new Map<string, SimUser>();
  app?: SimApp;
  installations = new Map<number, SimInstallation>();
  repos = new Map<string, SimRepo>();
  /** old `owner/name` (lower case) of a renamed or transferred repository → its ID (GitHub's redirects) */
  redirects = new Map<string, number>();
  tokens = new Map<string, SimToken>();
  /** how long an installation token lives (GitHub: one hour) */
  tokenLifetimeMs = 60 * 60 * 1000;
  private seq = new Map<string, number>();
  /** simulated clock skew (ms) applied to token expiry, JWT checks and the Date header */
  clockOffsetMs = 0;
  now(): number {
    return Date.now() + this.clockOffsetMs;
  }

  nextId(kind: string, start = 1000): number {
    const n = (this.seq.get(kind) ?? start) + 1;
    this.seq.set(kind, n);
    return n;
  }

  repoKey(owner: string, name: string): string {
    return `${owner.toLowerCase()}/${name.toLowerCase()}`;
  }
  getRepo(owner: string, name: string): SimRepo | undefined {
    return this.repos.get(this.repoKey(owner, name));
  }
  repoById(id: number): SimRepo | undefined {
    for (const r of this.repos.values()) if (r.id === id) return r;
    return undefined;
  }
  /** The repository an old name of a renamed or transferred repository now points to. */
  movedRepo(owner: string, name: string): SimRepo | undefined {
    const id = this.redirects.get(this.repoKey(owner, name));
    return id === undefined ? undefined : this.repoById(id);
  }
  getUser(login: string): SimUser | undefined {
    return this.users.get(login.toLowerCase());
  }
  ensureUser(login: string, type: SimUser["type"] = "User", email?: string): SimUser {
    const existing = this.getUser(login);
    if (existing) return existing;
    const u: SimUser = {
      id: this.nextId("user", 100000),
      login,
      type,
      email: email ?? (type === "User" ? `${login.toLowerCase()}@users.noreply.github.local` : null),
      name: type === "User" ? login : null,
      createdAt: new Date(),
    };
    this.users.set(login.toLowerCase(), u);
    return u;
  }
  installationForOwner(owner: string): SimInstallation | undefined {
    for (const i of this.installations.values()) if (i.account.toLowerCase() === owner.toLowerCase()) return i;
    return undefined;
  }
  installationRepos(inst: SimInstallation): SimRepo[] {
    return [...this.repos.values()].filter((r) => r.owner.toLowerCase() === inst.account.toLowerCase());
  }
  /** Effective role of a user on a repo (owner of a user repo = admin). */
  roleOf(repo: SimRepo, login: string): Role | undefined {
    if (repo.owner.toLowerCase() === login.toLowerCase()) return "admin";
    for (const [l, r] of repo.collaborators) if (l.toLowerCase() === login.toLowerCase()) return r;
    return undefined;
  }
}
