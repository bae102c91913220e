import type { Logger } from "pino";
import type { AwsGateway } from "../aws/gateway.js";
import type { Settings } from "../config/settings.js";
import type { JobQueue } from "../jobs/queue.js";
import type { Store } from "../store/index.js";
import type { Octokit } from "../github/types.js";

/** What every stage of the pipeline is handed. */
export interface Deps {
  settings: Settings;
  store: Store;
  aws: AwsGateway;
  queue: JobQueue;
  log: Logger;
  /** An Octokit authenticated as the given installation. */
  github(installationId: number): Promise<Octokit>;
  /** An Octokit authenticated as the app itself (app endpoints only). */
  githubApp(): Promise<Octokit>;
}
