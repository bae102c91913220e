#!/usr/bin/env node
// keyfence command line: `keyfence scan|backfill|demo`.
const [command, ...args] = process.argv.slice(2);

const usage = `usage: keyfence <command> [options]

commands:
  scan [PATH…]     scan files, directories, stdin (-), --staged or --history
  backfill         scan every repository's whole history (--org, --repo, --installation, --all)
  demo             run the whole flow against the local simulators
`;

async function main(): Promise<number> {
  switch (command) {
    case "scan": {
      const { scanCommand } = await import("./scan.js");
      return scanCommand(args);
    }
    case "backfill": {
      const { backfillCommand } = await import("./backfill.js");
      return backfillCommand(args);
    }
    case "demo": {
      const { demoCommand } = await import("./demo.js");
      return demoCommand(args);
    }
    case undefined:
    case "help":
    case "--help":
    case "-h":
      process.stdout.write(usage);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`keyfence: unknown command '${command}'\n${usage}`);
      return 2;
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`keyfence: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 2;
  },
);
