// What GitHub's answers mean, for the faults keyfence handles (issue #6 in the tracker).

interface HttpError {
  status?: number;
  message?: string;
  response?: { data?: { message?: unknown } };
}

const status = (err: unknown) => (err as HttpError | undefined)?.status;
const message = (err: unknown) => {
  const e = err as HttpError | undefined;
  const m = e?.response?.data?.message;
  return typeof m === "string" ? m : (e?.message ?? "");
};

/** 410 Gone: the issue was deleted ("This issue was deleted"). */
export function isIssueGone(err: unknown): boolean {
  return status(err) === 410;
}

/** 403 "Unable to create comment because issue is locked.": an app may not comment on a locked conversation. */
export function isIssueLocked(err: unknown): boolean {
  return status(err) === 403 && /\bis locked\b/i.test(message(err));
}

/** 403 "This installation has been suspended": no API access until it is unsuspended. */
export function isInstallationSuspended(err: unknown): boolean {
  return status(err) === 403 && /installation has been suspended/i.test(message(err));
}

/** 401 "Bad credentials": the installation token expired (or was revoked). */
export function isBadCredentials(err: unknown): boolean {
  return status(err) === 401 && /bad credentials/i.test(message(err));
}

/** git over HTTP refused the credentials it was given (an expired token): worth one more try with a fresh one. */
export function isGitAuthFailure(err: unknown): boolean {
  return /Authentication failed|could not read Username|returned error: 401|HTTP 401/i.test(err instanceof Error ? err.message : String(err));
}
