import { z } from "zod";

// keyfence's own settings, read from the environment. Probot's (APP_ID, PRIVATE_KEY,
// WEBHOOK_SECRET, GHE_HOST…) and the AWS SDK's (credential chain, AWS_ENDPOINT_URL_*)
// are read by those libraries themselves.
const schema = z.object({
  KEYFENCE_DB: z.string().min(1).default(".keyfence/keyfence.db"),
  DATABASE_URL: z.string().url().optional(),
  KEYFENCE_MIRRORS: z.string().min(1).default(".keyfence/mirrors"),
  KEYFENCE_AWS_ROLE: z.string().regex(/^[\w+=,.@-]{1,64}$/, "must be an IAM role name").default("keyfence"),
  KEYFENCE_AWS_ACCOUNTS: z
    .string()
    .default("*")
    .refine((v) => v.trim() === "*" || v.split(",").every((a) => /^\d{12}$/.test(a.trim())), {
      message: "must be '*' or a comma-separated list of 12-digit AWS account IDs",
    }),
  KEYFENCE_AWS_REGION: z.string().default("us-east-1"),
  KEYFENCE_ROTATION_STALE_SECONDS: z.coerce.number().int().min(1).default(600),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default("0.0.0.0"),
  LOG_LEVEL: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info"),
});

export interface Settings {
  dbPath: string;
  databaseUrl?: string;
  /** Where cached bare mirrors of repositories are kept, for pushes the API cannot show whole. */
  mirrorsDir: string;
  roleName: string;
  /** "*" means every account the role can be assumed in. */
  accounts: "*" | string[];
  region: string;
  /** A rotation not advanced for this long has lost its job; `/rotate` then resumes it. */
  rotationStaleMs: number;
  /** How long one step of a job may hold what it works on (the queue's job timeout). */
  jobTimeoutMs?: number;
  port: number;
  host: string;
  logLevel: z.infer<typeof schema>["LOG_LEVEL"];
}

export class SettingsError extends Error {}

/** Parses environment variables with a schema; a SettingsError names every bad variable. */
export function parseEnv<T extends z.ZodTypeAny>(schema: T, env: NodeJS.ProcessEnv): z.infer<T> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new SettingsError(`invalid keyfence settings:\n${lines.join("\n")}`);
  }
  return parsed.data;
}

export function loadSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const s = parseEnv(schema, env);
  return {
    dbPath: s.KEYFENCE_DB,
    databaseUrl: s.DATABASE_URL,
    mirrorsDir: s.KEYFENCE_MIRRORS,
    roleName: s.KEYFENCE_AWS_ROLE,
    accounts: s.KEYFENCE_AWS_ACCOUNTS.trim() === "*" ? "*" : s.KEYFENCE_AWS_ACCOUNTS.split(",").map((a) => a.trim()),
    region: s.KEYFENCE_AWS_REGION,
    rotationStaleMs: s.KEYFENCE_ROTATION_STALE_SECONDS * 1000,
    port: s.PORT,
    host: s.HOST,
    logLevel: s.LOG_LEVEL,
  };
}
