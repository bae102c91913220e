import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { SignatureV4 } from "@smithy/signature-v4";
import { AwsError, MSG } from "./errors.js";

/** node:crypto behind the Checksum interface @smithy/signature-v4 expects (HMAC when given a key). */
type SourceData = string | ArrayBuffer | ArrayBufferView;
const bytes = (d: SourceData): string | Uint8Array =>
  typeof d === "string" ? d : d instanceof ArrayBuffer ? new Uint8Array(d) : new Uint8Array(d.buffer, d.byteOffset, d.byteLength);

class Sha256 {
  private readonly h;
  constructor(secret?: SourceData) {
    this.h = secret === undefined ? createHash("sha256") : createHmac("sha256", bytes(secret));
  }
  update(data: SourceData): void {
    this.h.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.h.digest());
  }
  reset(): void {}
}

export interface ParsedAuth {
  accessKeyId: string;
  date: string; // yyyymmdd of the scope
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
  amzDate: string;
  securityToken?: string;
}

/** The incoming HTTP request, as the server read it. */
export interface RawRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: Buffer;
}

/** Parses `Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…` . */
export function parseAuth(r: RawRequest): ParsedAuth | undefined {
  const h = r.headers["authorization"];
  if (h) {
    const m = /^AWS4-HMAC-SHA256\s+(.*)$/s.exec(h.trim());
    if (!m) {
      throw new AwsError("IncompleteSignature", `Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=${h.split(" ")[0]}`);
    }
    const parts: Record<string, string> = {};
    for (const p of m[1].split(/,\s*/)) {
      const i = p.indexOf("=");
      if (i > 0) parts[p.slice(0, i).trim()] = p.slice(i + 1).trim();
    }
    const missing = ["Credential", "SignedHeaders", "Signature"].filter((k) => !parts[k]);
    if (missing.length) {
      throw new AwsError(
        "IncompleteSignature",
        missing.map((k) => `Authorization header requires '${k}' parameter.`).join(" ") + ` Authorization=${h}`,
      );
    }
    const amzDate = r.headers["x-amz-date"];
    if (!amzDate) {
      throw new AwsError("IncompleteSignature", "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
    }
    return fromParts(parts.Credential, parts.SignedHeaders, parts.Signature, amzDate, r.headers["x-amz-security-token"]);
  }
  return undefined;
}

function fromParts(cred: string, signedHeaders: string, signature: string, amzDate: string, token: string | undefined): ParsedAuth {
  const c = cred.split("/");
  if (c.length !== 5 || c[4] !== "aws4_request") {
    throw new AwsError("IncompleteSignature", `Credential should be scoped to a valid region. Credential=${cred}`);
  }
  const [accessKeyId, date, region, service] = c;
  if (!amzDate.startsWith(date)) {
    throw new AwsError("SignatureDoesNotMatch", `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${date}' != '${amzDate.slice(0, 8)}', from '${amzDate}'.`);
  }
  return {
    accessKeyId,
    date,
    region,
    service,
    signedHeaders: signedHeaders.split(";").map((s) => s.trim().toLowerCase()),
    signature,
    amzDate,
    securityToken: token,
  };
}

export function parseAmzDate(s: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (!m) return undefined;
  return new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]));
}

const SKEW_MS = 15 * 60_000;

/**
 * Recomputes the SigV4 signature with the key's secret (the same signer the SDK uses) and compares.
 * Throws SignatureDoesNotMatch (or the service's JSON equivalent, chosen by the caller) on mismatch.
 */
export async function verifySignature(r: RawRequest, auth: ParsedAuth, secretAccessKey: string): Promise<void> {
  const when = parseAmzDate(auth.amzDate);
  if (!when) throw new AwsError("IncompleteSignature", `Date must be in ISO-8601 'basic format'. Got '${auth.amzDate}'.`);
  const now = Date.now();
  if (Math.abs(now - when.getTime()) > SKEW_MS) {
    const fmt = (d: Date) => d.toISOString().replace(/[-:]|\.\d{3}/g, "");
    throw new AwsError(
      "SignatureDoesNotMatch",
      `Signature expired: ${auth.amzDate} is now earlier than ${fmt(new Date(now - SKEW_MS))} (${fmt(new Date(now))} - 15 min.)`,
    );
  }
  const headers: Record<string, string> = {};
  for (const name of auth.signedHeaders) {
    const v = r.headers[name];
    if (v === undefined) throw new AwsError("SignatureDoesNotMatch", MSG.badSignature);
    headers[name] = v;
  }
  // The payload hash is always the hash of the body received; a client-supplied x-amz-content-sha256
  // that differs means the body was altered.
  const claimed = r.headers["x-amz-content-sha256"];
  if (claimed !== undefined && claimed !== createHash("sha256").update(r.body).digest("hex")) {
    throw new AwsError("SignatureDoesNotMatch", MSG.badSignature);
  }
  const signer = new SignatureV4({
    // The session token, when signed, is among `headers` already; the signer must not add it again.
    credentials: { accessKeyId: auth.accessKeyId, secretAccessKey },
    region: auth.region,
    service: auth.service,
    sha256: Sha256,
    applyChecksum: false,
  });
  const signed = await signer.sign(
    { method: r.method, protocol: "http:", hostname: (headers.host ?? "").split(":")[0], path: r.path, query: r.query, headers, body: r.body },
    { signingDate: when, signableHeaders: new Set(auth.signedHeaders), signingRegion: auth.region, signingService: auth.service },
  );
  const expected = /Signature=([0-9a-f]+)/.exec(String((signed.headers as Record<string, string>)["authorization"]))?.[1] ?? "";
  const a = Buffer.from(expected);
  const b = Buffer.from(auth.signature);
  if (a.length !== b.length || !timingSafeEqual(a, b)) throw new AwsError("SignatureDoesNotMatch", MSG.badSignature);
}
