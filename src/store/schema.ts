import type { Generated } from "kysely";

/** Webhook deliveries already accepted: a redelivery of the same X-GitHub-Delivery does nothing. */
export interface DeliveryTable {
  id: string;
  event: string;
  received_at: string;
}

/** One row per place a key was seen. The secret itself is never stored: only its SHA-256. */
export interface FindingTable {
  id: Generated<number>;
  key_id: string;
  repo: string;
  commit_sha: string;
  path: string;
  line: number;
  kind: string;
  secret_hash: string | null;
  found_at: string;
  /** The report that tells (or told) this place in the issue (src/store/told.ts). */
  told_by: string | null;
  told_at: string | null;
}

/** A leaked key, once, whatever the number of places it was seen. */
export interface KeyTable {
  key_id: string;
  kind: string;
  account_id: string | null;
  user_name: string | null;
  /** found | contained | foreign | example | temporary | rotated */
  state: string;
  /** Why keyfence could not act, when it could not. */
  note: string | null;
  last_used: string | null;
  secret_hash: string | null;
  first_seen_at: string;
  contained_at: string | null;
  /** While a worker resolves and contains the key: the others leave it alone until then. */
  claimed_until: number | null;
}

export interface IssueTable {
  repo: string;
  key_id: string;
  number: number;
  opened_at: string;
}

/** Audit trail: every action keyfence took or was asked to take. */
export interface ActionTable {
  id: Generated<number>;
  key_id: string | null;
  repo: string | null;
  action: string;
  detail: string | null;
  actor: string | null;
  at: string;
}

export interface RotationTable {
  key_id: string;
  repo: string;
  issue_number: number;
  requested_by: string;
  /** requested | creating | created | delivered | verified | deleted | done | failed */
  step: string;
  new_key_id: string | null;
  /** JSON list of the user's key IDs when the rotation started: any other key found later is ours. */
  keys_before: string | null;
  /** The worker running the rotation, and until when: a job run twice never runs it twice at once. */
  locked_by: string | null;
  locked_until: number | null;
  error: string | null;
  updated_at: string;
}

export interface JobTable {
  id: Generated<number>;
  type: string;
  payload: string;
  dedupe_key: string | null;
  /** queued | running | done | dead */
  state: string;
  attempts: number;
  run_at: number;
  locked_until: number | null;
  last_error: string | null;
  created_at: string;
}

/** A backfill: one per scope (org:NAME, repo:OWNER/NAME, installation:ID, all); run again, it resumes. */
export interface BackfillRunTable {
  id: string;
  scope: string;
  /** report | contain, or null: each repository's settings decide. */
  mode: string | null;
  /** running | done */
  state: string;
  created_at: string;
  finished_at: string | null;
}

/** One repository of a backfill: its progress survives a restart. */
export interface BackfillRepoTable {
  run_id: string;
  repo: string;
  installation_id: number;
  /** JSON RepoInfo (html URL, clone URL, private). */
  info: string;
  /** pending | running | done | failed */
  state: string;
  /** host:pid of the worker scanning it, while running. */
  owner: string | null;
  lease_until: number | null;
  /** How many times a scan started: 1 for a repository scanned once. */
  scans: number;
  blobs: number;
  bytes: number;
  findings: number;
  /** The mode it was handled in. */
  mode: string | null;
  error: string | null;
  started_at: string | null;
  finished_at: string | null;
}

/** What a backfill found, with the introducing commit's author and date, for its report. No secret. */
export interface BackfillFindingTable {
  run_id: string;
  repo: string;
  key_id: string;
  redacted: string;
  kind: string;
  commit_sha: string;
  path: string;
  line: number;
  col: number;
  author: string;
  author_email: string;
  authored_at: string;
}

/** A job's dedupe key, once: with pg-boss, whose own keys only hold while a job is pending. */
export interface JobKeyTable {
  key: string;
  type: string;
  job_id: string | null;
  created_at: string;
}

/** The head of each ref keyfence has scanned, so a sweep can find pushes whose webhook never came. */
export interface ScannedRefTable {
  repo: string;
  ref: string;
  sha: string;
  installation_id: number;
  scanned_at: string;
}

/** Failed webhook deliveries keyfence asked GitHub to redeliver (by GUID), and how often. */
export interface RedeliveryTable {
  guid: string;
  event: string;
  attempts: number;
  last_asked_at: string;
}

/** Watermarks of the reconciliation: e.g. when the deliveries were last checked. */
export interface ReconcileMarkTable {
  name: string;
  value: string;
}

/** The full name each repository ID was last seen under: a rename or transfer is noticed, and the records follow. */
export interface RepositoryTable {
  id: number;
  full_name: string;
  seen_at: string;
}

/** A job of a suspended installation, kept aside until the installation is unsuspended. */
export interface ParkedJobTable {
  id: Generated<number>;
  installation_id: number;
  type: string;
  /** The job's payload (JSON), as queued. */
  payload: string;
  /** SHA-256 of type and payload: the same job parked twice is kept once. */
  job_key: string;
  reason: string;
  parked_at: string;
}

export interface Database {
  deliveries: DeliveryTable;
  findings: FindingTable;
  keys: KeyTable;
  issues: IssueTable;
  actions: ActionTable;
  rotations: RotationTable;
  jobs: JobTable;
  backfill_runs: BackfillRunTable;
  backfill_repos: BackfillRepoTable;
  backfill_findings: BackfillFindingTable;
  job_keys: JobKeyTable;
  scanned_refs: ScannedRefTable;
  redeliveries: RedeliveryTable;
  reconcile_marks: ReconcileMarkTable;
  repositories: RepositoryTable;
  parked_jobs: ParkedJobTable;
}
