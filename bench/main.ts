// `npm run bench [-- scenario… | --quick]`: runs the registered scenarios (all by default).
import { detect } from "./detect.js";
import { history } from "./history.js";
import { push } from "./push.js";
import { replicas } from "./replicas.js";
import { soak } from "./soak.js";

export type Scenario = (args: string[]) => Promise<void>;

/** name → scenario; other scenarios (push, history, replicas) register here. */
export const scenarios: Record<string, Scenario> = {
  detect,
  history,
  push,
  replicas,
  soak,
};

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const names = argv.filter((a) => !a.startsWith("-"));
  const flags = argv.filter((a) => a.startsWith("-"));
  for (const n of names) {
    if (!scenarios[n]) {
      process.stderr.write(`bench: unknown scenario '${n}' (have: ${Object.keys(scenarios).join(", ")})\n`);
      return 2;
    }
  }
  for (const n of names.length ? names : Object.keys(scenarios)) {
    process.stdout.write(`\n== ${n} ==\n`);
    await scenarios[n]!(flags);
  }
  return 0;
}

main().then(
  (c) => (process.exitCode = c),
  (e: unknown) => {
    process.stderr.write(`bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  },
);
