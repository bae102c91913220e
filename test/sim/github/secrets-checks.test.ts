import sodium from "libsodium-wrappers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { userOctokit, world, type World } from "./helpers.js";

const O = { owner: "acme", repo: "payments" };

async function seal(publicKeyB64: string, value: string): Promise<string> {
  await sodium.ready;
  const sealed = sodium.crypto_box_seal(sodium.from_string(value), sodium.from_base64(publicKeyB64, sodium.base64_variants.ORIGINAL));
  return sodium.to_base64(sealed, sodium.base64_variants.ORIGINAL);
}

describe("github sim: Actions secrets and check runs", () => {
  let w: World;
  let head: string;
  beforeAll(async () => {
    w = await world();
    head = (await w.sim.push("acme", "payments", { branch: "main", pusher: "bob", commits: [{ message: "c", files: { "a.txt": "a\nb\nc\n" } }] })).after;
  });
  afterAll(async () => { await w?.close(); });

  it("repo secret: libsodium sealed box against the repo public key is decrypted by the sim", async () => {
    const { data: key } = await w.installation.actions.getRepoPublicKey(O);
    expect(Buffer.from(key.key, "base64")).toHaveLength(32);
    expect(key.key_id).toMatch(/^\d+$/);
    const again = await w.installation.actions.getRepoPublicKey(O);
    expect(again.data).toEqual(key);
    const put = await w.installation.actions.createOrUpdateRepoSecret({ ...O, secret_name: "AWS_SECRET_ACCESS_KEY", encrypted_value: await seal(key.key, "s3cr3t/v1"), key_id: key.key_id });
    expect(put.status).toBe(201);
    expect(w.sim.actionsSecret("acme", "payments", "AWS_SECRET_ACCESS_KEY")).toBe("s3cr3t/v1");
    const upd = await w.installation.actions.createOrUpdateRepoSecret({ ...O, secret_name: "AWS_SECRET_ACCESS_KEY", encrypted_value: await seal(key.key, "s3cr3t/v2"), key_id: key.key_id });
    expect(upd.status).toBe(204);
    expect(w.sim.actionsSecret("acme", "payments", "AWS_SECRET_ACCESS_KEY")).toBe("s3cr3t/v2");
    const meta = await w.installation.actions.getRepoSecret({ ...O, secret_name: "AWS_SECRET_ACCESS_KEY" });
    expect(Object.keys(meta.data).sort()).toEqual(["created_at", "name", "updated_at"]);
    const list = await w.installation.actions.listRepoSecrets(O);
    expect(list.data).toMatchObject({ total_count: 1, secrets: [{ name: "AWS_SECRET_ACCESS_KEY" }] });

    const wrongKey = await w.installation.actions.createOrUpdateRepoSecret({ ...O, secret_name: "X", encrypted_value: await seal(key.key, "v"), key_id: "123" }).catch((e) => e);
    expect(wrongKey.status).toBe(422);
    const garbage = await w.installation.actions.createOrUpdateRepoSecret({ ...O, secret_name: "X", encrypted_value: Buffer.from("not sealed at all, not at all").toString("base64"), key_id: key.key_id }).catch((e) => e);
    expect(garbage.status).toBe(422);
    expect(garbage.response.data.message).toBe("Bad request - validation failed due to an improperly encrypted secret");
    const reserved = await w.installation.actions.createOrUpdateRepoSecret({ ...O, secret_name: "GITHUB_TOKEN", encrypted_value: await seal(key.key, "v"), key_id: key.key_id }).catch((e) => e);
    expect(reserved.status).toBe(422);
    expect(w.sim.actionsSecret("acme", "payments", "X")).toBeUndefined();
    await expect(userOctokit(w.sim, "dave").actions.getRepoPublicKey(O)).rejects.toMatchObject({ status: 404 });

    const state = await (await fetch(`${w.sim.url}/_sim/state?secrets=1`)).json();
    expect(state.repos.find((r: any) => r.full_name === "acme/payments").secrets).toEqual({ AWS_SECRET_ACCESS_KEY: "s3cr3t/v2" });
    const redacted = await (await fetch(`${w.sim.url}/_sim/state`)).json();
    expect(redacted.repos.find((r: any) => r.full_name === "acme/payments").secrets).toEqual(["AWS_SECRET_ACCESS_KEY"]);
  });

  it("environment secrets need an existing environment", async () => {
    await expect(w.installation.actions.getEnvironmentPublicKey({ ...O, environment_name: "production" })).rejects.toMatchObject({ status: 404 });
    w.sim.addEnvironment("acme", "payments", "production");
    const { data: key } = await w.installation.actions.getEnvironmentPublicKey({ ...O, environment_name: "production" });
    const repoKey = (await w.installation.actions.getRepoPublicKey(O)).data;
    expect(key.key).not.toBe(repoKey.key);
    const put = await w.installation.actions.createOrUpdateEnvironmentSecret({ ...O, environment_name: "production", secret_name: "AWS_ACCESS_KEY_ID", encrypted_value: await seal(key.key, "AKIANEWKEY"), key_id: key.key_id });
    expect(put.status).toBe(201);
    expect(w.sim.actionsSecret("acme", "payments", "AWS_ACCESS_KEY_ID", "production")).toBe("AKIANEWKEY");
    expect(w.sim.actionsSecret("acme", "payments", "AWS_ACCESS_KEY_ID")).toBeUndefined();
  });

  it("check runs: create, update with annotations, only for apps", async () => {
    const { data: run, status } = await w.installation.checks.create({ ...O, name: "keyfence", head_sha: head, status: "in_progress", output: { title: "Scanning", summary: "…" } });
    expect(status).toBe(201);
    expect(run).toMatchObject({ name: "keyfence", head_sha: head, status: "in_progress", conclusion: null, app: { slug: "keyfence" } });
    const ann = { path: "a.txt", start_line: 2, end_line: 2, annotation_level: "failure" as const, message: "AWS access key" };
    const { data: done } = await w.installation.checks.update({ ...O, check_run_id: run.id, conclusion: "failure", output: { title: "1 leaked key", summary: "found", annotations: [ann] } });
    expect(done).toMatchObject({ status: "completed", conclusion: "failure", output: { title: "1 leaked key", annotations_count: 1 } });
    expect(done.completed_at).toMatch(/Z$/);
    expect(w.sim.checkRuns("acme", "payments")).toEqual([{ id: run.id, head_sha: head, name: "keyfence", status: "completed", conclusion: "failure", output: { title: "1 leaked key", summary: "found", annotations: [ann] } }]);
    const listed = await w.installation.checks.listForRef({ ...O, ref: head });
    expect(listed.data.total_count).toBe(1);
    await expect(w.installation.checks.create({ ...O, name: "x", head_sha: "0".repeat(40) })).rejects.toMatchObject({ status: 422 });
    await expect(w.installation.checks.update({ ...O, check_run_id: run.id, status: "completed", conclusion: null as never, output: { title: "t", summary: "s", annotations: Array(51).fill(ann) } })).rejects.toMatchObject({ status: 422 });
    await expect(userOctokit(w.sim, "alice").checks.create({ ...O, name: "x", head_sha: head })).rejects.toMatchObject({ status: 403 });
  });
});
