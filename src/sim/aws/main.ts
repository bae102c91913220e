/**
 * Standalone simulator: `tsx src/sim/aws/main.ts [port]` (or AWS_SIM_PORT / AWS_SIM_HOST).
 * Optional AWS_SIM_SEED="111111111111:alice,222222222222:bob" creates users with one key each and prints them.
 */
import { startAwsSim } from "./index.js";

const port = Number(process.argv[2] ?? process.env.AWS_SIM_PORT ?? 0);
const host = process.env.AWS_SIM_HOST ?? "127.0.0.1";
const sim = await startAwsSim({ port, host, latencyMs: Number(process.env.AWS_SIM_LATENCY_MS ?? 0) });
console.log(sim.url);
for (const entry of (process.env.AWS_SIM_SEED ?? "").split(",").filter(Boolean)) {
  const [accountId, userName] = entry.split(":");
  const k = sim.createAccessKey(accountId, userName);
  console.log(`${accountId} ${userName} AWS_ACCESS_KEY_ID=${k.accessKeyId} AWS_SECRET_ACCESS_KEY=${k.secretAccessKey}`);
}
const stop = () => void sim.close().then(() => process.exit(0));
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
