import type { Probot } from "probot";
import { isBadCredentials } from "./errors.js";

interface Refreshable {
  hook: { wrap: (name: "request", fn: (request: any, options: any) => Promise<any>) => void };
  auth: (options?: any) => Promise<unknown>;
}

type ProbotOctokit = Awaited<ReturnType<Probot["auth"]>>;

/**
 * An installation's Octokit, made as `probot.auth(id)` makes it (same options, same token cache),
 * except that its app authentication's own requests are sent to the GitHub Probot is configured
 * for (GHE_HOST, GHE_PROTOCOL): Probot gives auth-app a `request` without a base URL, which only
 * matters for a token minted outside a request, as `refreshingInstallationToken` does.
 */
export async function installationOctokit(probot: Probot, installationId: number): Promise<ProbotOctokit> {
  const app = await probot.auth();
  const octokit = (await app.auth({
    type: "installation",
    installationId,
    factory: ({ octokit, octokitOptions, ...otherOptions }: { octokit: { constructor: new (o: unknown) => unknown }; octokitOptions: any; [k: string]: unknown }) => {
      const auth = octokitOptions.auth ?? {};
      const request = auth.request && octokitOptions.baseUrl ? { request: auth.request.defaults({ baseUrl: octokitOptions.baseUrl }) } : {};
      return new octokit.constructor({
        ...octokitOptions,
        log: probot.log.child({ name: "github" }),
        throttle: octokitOptions.throttle?.enabled ? { ...octokitOptions.throttle, id: String(installationId) } : { enabled: false },
        auth: { ...auth, otherOptions, installationId, ...request },
      });
    },
  } as never)) as ProbotOctokit;
  return refreshingInstallationToken(octokit);
}

/**
 * An installation's Octokit that gets a fresh token and tries once more when GitHub says its token
 * is no longer good (401 Bad credentials): installation tokens live one hour, and the one cached
 * may have run out during a long backfill (or earlier than the cache thinks, if the clocks
 * disagree). App endpoints (`/app…`, signed with the app's JWT) are left alone.
 */
export function refreshingInstallationToken<T extends Refreshable>(octokit: T): T {
  octokit.hook.wrap("request", async (request: (o: unknown) => Promise<unknown>, options: { url?: string }) => {
    try {
      return await request(options);
    } catch (err) {
      const path = String(options.url ?? "").replace(/^https?:\/\/[^/]+/, "").replace(/^\/api\/v3/, "");
      if (!isBadCredentials(err) || /^\/app(\/|$)/.test(path)) throw err;
      await octokit.auth({ type: "installation", refresh: true });
      return request(options);
    }
  });
  return octokit;
}
