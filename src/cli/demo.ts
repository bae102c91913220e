import { rmSync } from "node:fs";
import { redactKeyId } from "../detect/index.js";
import { startAppProcess, type AppProcess } from "../sim/app-process.js";
import { keyWorks, startWorld, type World } from "../sim/world.js";

/**
 * `keyfence demo`: the whole flow against the local simulators, step by step with timings.
 * Exits 0 only if every step really happened in the simulators' state.
 */
export async function demoCommand(args: string[]): Promise<number> {
  const port = Number(process.env.PORT ?? 3000);
  const dbPath = ".keyfence/demo.db";
  for (const f of [dbPath, `${dbPath}-wal`, `${dbPath}-shm`]) rmSync(f, { force: true });
  const quiet = args.includes("--quiet");

  const t0 = Date.now();
  const say = (text: string) => console.log(`[${String(Date.now() - t0).padStart(6)} ms] ${text}`);
  const failures: string[] = [];
  const check = (ok: boolean, what: string) => {
    say(`${ok ? "✔" : "✘"} ${what}`);
    if (!ok) failures.push(what);
  };

  let world: World | undefined;
  let app: AppProcess | undefined;
  try {
    world = await startWorld();
    say(`GitHub simulator at ${world.github.url}, AWS simulator at ${world.aws.url}`);
    app = await startAppProcess({ ...world.env, KEYFENCE_DB: dbPath }, { port });
    world.github.setWebhookUrl(`${app.url}/api/github/webhooks`);
    say(`keyfence listening at ${app.url} (SQLite store ${dbPath})`);

    const { org, repo, aws, github } = world;
    const leaked = aws.createAccessKey(world.workloadAccount, world.deployUser);
    const works = (id: string, secret: string) => keyWorks(aws.url, id, secret);
    check(await works(leaked.accessKeyId, leaked.secretAccessKey), `${world.deployUser}'s key ${redactKeyId(leaked.accessKeyId)} works before the leak`);

    const pushedAt = Date.now();
    say(`dave pushes config/settings.py with that key to ${org}/${repo}`);
    await github.push(org, repo, {
      branch: "main",
      pusher: "dave",
      commits: [
        {
          message: "Add deployment settings",
          files: {
            "config/settings.py": `REGION = "eu-west-1"\nAWS_ACCESS_KEY_ID = "${leaked.accessKeyId}"\nAWS_SECRET_ACCESS_KEY = "${leaked.secretAccessKey}"\n`,
          },
        },
      ],
    });
    const since = (r: Record<string, unknown>) => `${Number(r.time) - pushedAt} ms after the push`;
    const received = await app.waitForLog((r) => r.msg === "webhook queued" && r.type === "push");
    say(`webhook received and queued (${since(received)})`);
    const found = await app.waitForLog((r) => r.msg === "credential found");
    say(`key found: ${String(found.key)} in ${String(found.repo)} (${since(found)})`);
    const contained = await app.waitForLog((r) => r.msg === "key deactivated");
    say(`owner resolved: account ${String(contained.account)}, user ${world.deployUser}; key set Inactive (${since(contained)})`);
    const opened = await app.waitForLog((r) => r.msg === "issue opened");
    say(`issue #${String(opened.issue)} opened (${since(opened)})`);

    check(aws.key(leaked.accessKeyId)?.status === "Inactive", "AWS: the leaked key is Inactive");
    check(!(await works(leaked.accessKeyId, leaked.secretAccessKey)), "AWS: the leaked key no longer authenticates");
    const issue = github.issues(org, repo).find((i) => i.number === Number(opened.issue));
    check(!!issue && issue.state === "open", `GitHub: issue ${github.url}/${org}/${repo}/issues/${String(opened.issue)} is open`);
    if (issue && !quiet) {
      console.log(`\n----- issue #${issue.number}: ${issue.title}\n${issue.body}\n-----\n`);
    }

    say("bob (write) comments /rotate");
    await github.comment(org, repo, issue!.number, "bob", "/rotate");
    const refusal = await eventually(() =>
      github.issues(org, repo).find((i) => i.number === issue!.number)?.comments.find((c) => c.body.includes("@bob")),
    );
    check(!!refusal && aws.key(leaked.accessKeyId)?.status === "Inactive", "GitHub: bob was told why /rotate was refused; nothing changed");
    if (refusal && !quiet) console.log(`
----- reply to bob
${refusal.body}
-----
`);
    say(`alice (admin) comments /rotate`);
    const asked = Date.now();
    await github.comment(org, repo, issue!.number, "alice", "/rotate");
    await app.waitForLog((r) => r.msg === "rotation finished", 30_000);
    for (const r of app.records().filter((r) => r.msg === "rotation step")) say(`  rotation: ${String(r.step)} (${Number(r.time) - asked} ms after /rotate)`);

    const newId = github.actionsSecret(org, repo, "AWS_ACCESS_KEY_ID");
    const newSecret = github.actionsSecret(org, repo, "AWS_SECRET_ACCESS_KEY");
    const active = aws.keysOf(world.workloadAccount, world.deployUser);
    check(!!newId && newId !== leaked.accessKeyId && active.some((k) => k.accessKeyId === newId && k.status === "Active"), `AWS: new key ${newId ? redactKeyId(newId) : "?"} is Active`);
    check(!!newId && !!newSecret && (await works(newId, newSecret)), "GitHub: the Actions secrets hold the new key, and it authenticates");
    check(aws.key(leaked.accessKeyId) === undefined, "AWS: the leaked key is deleted");
    const closed = github.issues(org, repo).find((i) => i.number === issue!.number);
    check(closed?.state === "closed", "GitHub: the issue is closed");
    const visible = github.issues(org, repo).flatMap((i) => [i.title, i.body, ...i.comments.map((c) => c.body)]).join("\n");
    const secrets = [leaked.secretAccessKey, newSecret ?? "", leaked.accessKeyId, newId ?? ""].filter(Boolean);
    check(!secrets.some((s) => visible.includes(s)) && !secrets.some((s) => app!.lines.join("\n").includes(s)), "no secret or full key ID in issues, comments or logs");
  } catch (err) {
    failures.push(err instanceof Error ? err.message : String(err));
    say(`✘ ${failures.at(-1)}`);
  } finally {
    await app?.kill();
    await world?.close();
  }
  console.log(failures.length === 0 ? "\nAll steps happened. keyfence works end to end." : `\n${failures.length} step(s) failed.`);
  return failures.length === 0 ? 0 : 1;
}


async function eventually<T>(fn: () => T | undefined, ms = 15_000): Promise<T | undefined> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
}
