import picomatch from "picomatch";
import { z } from "zod";
import type { Octokit, RepoRef } from "../github/types.js";

export const REPO_SETTINGS_PATH = ".github/keyfence.yml";

const destination = z.union([
  z
    .object({
      actions: z
        .object({
          id: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be a valid secret name").default("AWS_ACCESS_KEY_ID"),
          secret: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be a valid secret name").default("AWS_SECRET_ACCESS_KEY"),
          environment: z.string().min(1).optional(),
        })
        .strict(),
    })
    .strict(),
  z
    .object({
      secretsmanager: z
        .object({
          secret_id: z.string().min(1),
          region: z.string().min(1).optional(),
        })
        .strict(),
    })
    .strict(),
]);

/** `.github/keyfence.yml`, in the repository or, failing that, in the organization's `.github` repository. */
const schema = z
  .object({
    mode: z.enum(["contain", "report"]).default("contain"),
    ignore: z.array(z.string().min(1)).default([]),
    labels: z.array(z.string().min(1).max(50)).default(["keyfence"]),
    assign_pusher: z.boolean().default(true),
    rotate: z
      .object({
        permission: z.enum(["maintain", "admin"]).default("maintain"),
        destinations: z.array(destination).min(1).default([{ actions: { id: "AWS_ACCESS_KEY_ID", secret: "AWS_SECRET_ACCESS_KEY" } }]),
      })
      .strict()
      .default({}),
    backfill: z.object({ on_install: z.boolean().default(false) }).strict().default({}),
  })
  .strict();

export type RepoSettings = z.infer<typeof schema>;
export type DestinationSetting = RepoSettings["rotate"]["destinations"][number];

export const defaultRepoSettings: RepoSettings = schema.parse({});

/** Validates settings; anything invalid is reported and the safe defaults are kept. */
export function parseRepoSettings(raw: unknown): { settings: RepoSettings; problems: string[] } {
  const parsed = schema.safeParse(raw ?? {});
  if (parsed.success) return { settings: parsed.data, problems: [] };
  const problems = parsed.error.issues.map((i) => `${i.path.join(".") || "(file)"}: ${i.message}`);
  return { settings: defaultRepoSettings, problems };
}

type Loaded = { settings: RepoSettings; problems: string[] };

/**
 * Settings read in the last minute, by repository: reading them costs one or two API calls on the
 * way to containment. A push that changes `.github/keyfence.yml` drops the entries it affects.
 */
const recent = new Map<string, { at: number; loaded: Promise<Loaded> }>();
const TTL_MS = 60_000;

export function forgetRepoSettings(repo: RepoRef): void {
  if (repo.repo === ".github") {
    for (const k of recent.keys()) if (k.startsWith(`${repo.owner}/`)) recent.delete(k);
  } else recent.delete(`${repo.owner}/${repo.repo}`);
}

export function loadRepoSettings(octokit: Octokit, repo: RepoRef): Promise<Loaded> {
  const key = `${repo.owner}/${repo.repo}`;
  const hit = recent.get(key);
  if (hit && Date.now() - hit.at < TTL_MS) return hit.loaded;
  const loaded = readRepoSettings(octokit, repo);
  recent.set(key, { at: Date.now(), loaded });
  loaded.catch(() => recent.delete(key));
  return loaded;
}

async function readRepoSettings(octokit: Octokit, repo: RepoRef): Promise<Loaded> {
  try {
    const { config } = await octokit.config.get({ ...repo, path: REPO_SETTINGS_PATH });
    return parseRepoSettings(Object.keys(config).length === 0 ? {} : config);
  } catch (err) {
    if ((err as { status?: number }).status && (err as { status: number }).status >= 500) throw err;
    return { settings: defaultRepoSettings, problems: [`${REPO_SETTINGS_PATH}: ${err instanceof Error ? err.message : String(err)}`] };
  }
}

export function isIgnored(settings: RepoSettings, path: string): boolean {
  return settings.ignore.length > 0 && picomatch(settings.ignore, { dot: true })(path);
}
