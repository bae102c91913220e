// What a value is called, and what its name says. The name is the identifier written just before
// it, a label on the line above, or a sibling field (`- name: X` / `value: V`); a name says whether
// a 40-character value is an AWS secret access key, another service's secret, or an identifier.

/** Names under which a secret access key is usually written. */
export const SECRET_NAME =
  /(secret|^sk$|_sk$|password|passwd|^pass$|pwd|credential|private_?key|aws_?key$)/i;
export const TOKEN_NAME = /(session[_.-]?token|security[_.-]?token|^token$|_token$|sts[_.-]?token)/i;
/** Names of an access key ID; Spring-style ones too (`app.logs.access-key`). */
export const KEY_NAME = /(access[_.-]?key[_.-]?id|access[_.-]?key$|aws[_.-]?key[_.-]?id|key[_.-]?id$)/i;
/** Names only an AWS secret access key goes by: they outrank `JWT_SECRET`, `password`… */
export const AWS_SECRET_NAME = /(secret[\s_.-]*access[\s_.-]*key|aws[\s_.-]*secret|secret[\s_.-]*key$|^secret[\s_.-]*key)/i;

/**
 * What sets a name apart from the others of its kind: `AWS_ACCESS_KEY_ID_BACKUP` and
 * `AWS_SECRET_ACCESS_KEY_BACKUP` both say BACKUP, `PROD_AWS_SECRET` says PROD, `JWT_SECRET` JWT.
 */
export function nameQualifier(name: string): string {
  return name.toUpperCase().replace(/AWS|ACCESS|SECRET|KEYS?|ID|SESSION|SECURITY|TOKEN|[^A-Z0-9]/g, "");
}

/**
 * The words of a name, lower-cased: `upload id`, `app.logs.secret-key`, and camelCase split too
 * (`JWTSecret` → jwt, secret) while keeping the unsplit word (`ETag` → etag).
 */
function nameWords(name: string): string[] {
  const split = (s: string) => s.toLowerCase().split(/[^a-z0-9]+/).filter(Boolean);
  const camel = name.replace(/([a-z0-9])([A-Z])/g, "$1 $2").replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2");
  return [...split(name), ...split(camel)];
}

/** Words that say a value is another service's secret, or an identifier or hash. */
const FOREIGN_WORDS = new Set(
  (
    "jwt session sess cookie csrf xsrf db database postgres postgresql pg psql mysql mariadb mongo mongodb " +
    "redis memcached rabbitmq amqp stripe github gh gitlab bitbucket slack django rails flask laravel " +
    "sendgrid twilio mailgun mailchimp openai heroku datadog sentry newrelic npm docker dockerhub google " +
    "gcp azure firebase facebook twitter oauth client webhook signing encryption hmac salt smtp ldap token " +
    "id ids uuid guid uid sha sha1 sha256 sha512 md5 hash digest etag checksum crc commit rev revision " +
    "nonce fingerprint signature sig trace span correlation"
  ).split(" "),
);
/** …unless the name is also an AWS one (`DB_BACKUP_AWS_SECRET_ACCESS_KEY`)… */
const AWS_WORDS = /(^|[^a-z])aws|secret[\s_.-]*access[\s_.-]*key/i;
/** …or names an AWS service (`DB_BACKUP_S3_SECRET_KEY`). */
const AWS_SERVICES = new Set(
  "s3 iam ses sqs sns sts ec2 ecr ecs eks dynamodb kinesis lambda cloudfront route53 cloudwatch athena glue redshift boto boto3 amazon".split(" "),
);

/**
 * True when a secret candidate's name says it is something else: another service's secret
 * (`JWT_SECRET`, `DB_PASSWORD`, `STRIPE_SECRET_KEY`, Rails' `SECRET_KEY_BASE`) or an identifier
 * or hash (`upload id`, `etag`, `checksum`). Such a value is never an AWS key's secret.
 */
export function isForeignSecretName(name: string): boolean {
  // A value, not a name (`<key ID> <secret>` on one line: the secret's "name" is the key ID).
  if (!name || AWS_WORDS.test(name) || /(?=[A-Za-z]*\d)[A-Za-z0-9]{20,}/.test(name)) return false;
  if (/secret[_.-]?key[_.-]?base/i.test(name)) return true;
  const words = nameWords(name);
  return !words.some((w) => AWS_SERVICES.has(w)) && words.some((w) => FOREIGN_WORDS.has(w));
}

/** Session tokens start with these (base64 of the STS token's header), whatever they are called. */
const STS_TOKEN_PREFIX = /^(?:IQoJb3JpZ2lu|FwoGZXIvYXdz|FQoGZXIvYXdz|AQoDYXdz)/;
const TOKEN_OTHER_NAME = /ssh|rsa|dsa|ed25519|ecdsa|cert|pem|pgp|gpg|pub(?:lic)?[_.-]?key|private|x509|image|icon|font|bearer|authorization/i;
/** Names a session token goes by, even with a word of FOREIGN_WORDS in them (`session`, `token`). */
const TOKEN_OWN_NAME = /session|security|(?:^|[^a-z])(?:aws|sts|amz)|^token$/i;

/** The body of an SSH public key: base64 of a length-prefixed key type (ssh-rsa, ssh-ed25519, ecdsa-sha2-…, sk-…). */
function isSshKeyBody(value: string): boolean {
  return value.startsWith("AAAA") && /^\0\0\0[\s\S](?:ssh-|ecdsa-|sk-)/.test(atob(value.slice(0, 16)));
}

/** A JWT's header or payload (base64url of `{"…`), or a segment joined to others by `.`. */
function isJwtSegment(value: string, text: string, at: number): boolean {
  if (value.startsWith("eyJ")) return true;
  const seg = /[A-Za-z0-9_-]/;
  const end = at + value.length;
  return (text[at - 1] === "." && seg.test(text[at - 2] ?? "")) || (text[end] === "." && seg.test(text[end + 1] ?? ""));
}

/** The data of a `data:` URI (`data:image/png;base64,iVBOR…`). */
const isDataUri = (text: string, at: number) => text.endsWith("base64,", at);

/**
 * Is this long base64 run (at `at` in `text`, called `name`) something other than a session
 * token: an SSH public key, a JWT, a data: URI, a PEM body, or a value named for something else
 * (`Authorization: Bearer`, `image`)?
 */
export function isNotSessionToken(value: string, name: string, text: string, at: number): boolean {
  if (STS_TOKEN_PREFIX.test(value)) return false;
  if (isSshKeyBody(value) || isJwtSegment(value, text, at) || isDataUri(text, at)) return true;
  // A PEM block written on one line (`-----BEGIN CERTIFICATE-----MIIB…`, or with `\n` escapes).
  const before = text.slice(Math.max(0, at - 120), at);
  const pem = before.lastIndexOf("-----BEGIN");
  if (pem !== -1 && !before.includes("-----END", pem)) return true;
  if (!name || TOKEN_OWN_NAME.test(name)) return false;
  return TOKEN_OTHER_NAME.test(name) || nameWords(name).some((w) => w !== "token" && FOREIGN_WORDS.has(w));
}

const SEP = /[\s"'`:=,(>\[{|*$]/;
const IDENT = /[A-Za-z0-9_.\-]/;
/** Prose: "the secret was …", "its secret is …", "secret - …". */
const PROSE_SECRET = /\bsecret\s*(?:(?:is|was|:|=|-|–)\s*)?$/i;
/** Spelled-out names: "Secret access key", "AWS Secret Access Key [None]:", "**Secret key**". */
const LOOSE_SECRET = /secret[\s_-]*(?:access[\s_-]*)?key|secretkey/i;

/** `<Pass encoding="base64">`: an element with attributes, named by its tag. */
const TAG_WITH_ATTRIBUTES = /<([A-Za-z_][\w.:-]*)(?:\s+[\w.:-]+\s*=\s*(?:"[^"<>]*"|'[^'<>]*'))+\s*>$/;

/** The identifier written just before position `at` on the same line, e.g. `aws_secret_access_key = `. */
export function nameBefore(text: string, at: number): string {
  const tag = text[at - 1] === ">" ? TAG_WITH_ATTRIBUTES.exec(text.slice(Math.max(0, at - 200), at)) : null;
  if (tag) return tag[1]!;
  // Markdown emphasis: `secret: _wJal…_`
  let i = text[at - 1] === "_" && SEP.test(text[at - 2] ?? " ") ? at - 2 : at - 1;
  const stop = Math.max(0, at - 24);
  while (i >= stop && SEP.test(text[i]!) && text[i] !== "\n") i--;
  const end = i + 1;
  const min = Math.max(0, end - 64);
  while (i >= min && IDENT.test(text[i]!)) i--;
  return text.slice(i + 1, end);
}

/**
 * The name the text just before `at` gives a value of this kind (same line, or the line above for
 * a value alone on its line), or undefined. `direct`: written right before it (`name = value`).
 */
function namedBefore(text: string, at: number, isName: RegExp): { name: string; direct: boolean } | undefined {
  const nm = nameBefore(text, at);
  if (isName.test(nm) && (!KEY_NAME.test(nm) || /secret/i.test(nm))) return { name: nm, direct: true };
  if (isName !== SECRET_NAME) return undefined;
  const seg = text.slice(Math.max(0, at - 40), at);
  let line = seg.slice(seg.lastIndexOf("\n") + 1);
  // A value alone on its line takes its name from the line above ("Secret access key:\n  wJal…",
  // or a YAML block scalar: "secret_access_key: >-\n  wJal…").
  if (/^[\s"'`]*$/.test(line)) {
    const ls = at - line.length - 1;
    if (ls > 0) line = text.slice(Math.max(0, text.lastIndexOf("\n", ls - 1) + 1, ls - 60), ls);
    if (!/[:=]\s*(?:[|>][-+]?)?\s*$/.test(line)) return undefined;
  }
  // …but not when another value sits in between ("secret: X, other: <candidate>").
  const from = line.search(LOOSE_SECRET);
  if (from === -1) return PROSE_SECRET.test(line) ? { name: "secret", direct: false } : undefined;
  if (/[A-Za-z0-9+/]{16,}[^A-Za-z0-9+/]+\S*$/.test(line.slice(from))) return undefined;
  return { name: line.slice(from).replace(/[\s:=|>+-]+$/, ""), direct: false };
}

/** Names that say nothing (`value:`, `default =`, `"ParameterValue":`): the real one is in a sibling field. */
const GENERIC_NAME = /^(?:value|val|default|default_?value|parameter_?value)$/i;
/** A field naming the value next to it: `name: X`, `"ParameterKey": "X"`, `variable "x" {`. */
const NAME_FIELD = /(?:^|[^A-Za-z0-9_])(?:name|key|parameter_?key|parameter_?name)["']?\s*[:=]\s*["']?([^"'\s,}]+)|\b(?:variable|output)\s+"([^"]+)"/i;

/** A Terraform block opened earlier on the value's line: `variable "x" { default = `. */
const BLOCK_NAME = /\b(?:variable|output)\s+"([^"]+)"\s*\{[^{}]*$/;
const SIBLING_REACH = 300;
/** A line that opens or closes an object or list, or starts a YAML list item. */
const RECORD_EDGE = /[{}[\]]|^\s*- /;

function endOfLine(text: string, at: number): number {
  const nl = text.indexOf("\n", at);
  return nl === -1 ? text.length : nl;
}

function nameField(s: string): string | undefined {
  const m = NAME_FIELD.exec(s);
  return m ? (m[1] ?? m[2]) : undefined;
}

/**
 * The name a sibling field gives the value at `at`: same object (`{"name": "X", "value": "V"}`,
 * either order), else the lines above up to its record's start (k8s `- name: X\n  value: V`,
 * Terraform `variable "x" {\n  type = string\n  default = "V"`), else the next line.
 */
function siblingName(text: string, at: number): string | undefined {
  const ls = text.lastIndexOf("\n", at - 1) + 1;
  const le = endOfLine(text, at);
  // Within this object on this line, at most SIBLING_REACH chars away (minified files have long lines).
  const before = text.slice(Math.max(ls, at - SIBLING_REACH), at);
  const after = text.slice(at, Math.min(le, at + SIBLING_REACH));
  const same = nameField(before.slice(before.lastIndexOf("{") + 1)) ?? BLOCK_NAME.exec(before)?.[1] ?? nameField(after.split("}", 1)[0]!);
  if (same) return same;
  for (let e = ls - 1, n = 0; n < 4 && e > 0; n++) {
    const s = text.lastIndexOf("\n", e - 1) + 1;
    const line = text.slice(s, Math.min(e, s + SIBLING_REACH));
    if (line.includes("}")) break; // the previous record ends here
    const name = nameField(line);
    if (name) return name;
    if (RECORD_EDGE.test(line)) break; // this record starts here
    e = s - 1;
  }
  if (le >= text.length) return undefined;
  const next = text.slice(le + 1, Math.min(endOfLine(text, le + 1), le + 1 + SIBLING_REACH));
  return RECORD_EDGE.test(next) ? undefined : nameField(next);
}

export interface Naming {
  /** The name the value goes by (its own, a sibling field's, or a label above it); "" if none. */
  name: string;
  /** Whether `name` is a name of this kind (isName) and which one. */
  by?: { name: string; direct: boolean };
}

/** The name of the map a `name: value` entry sits in: `parent: {name: v}` or an indented block under `parent:`. */
function parentName(text: string, at: number): string | undefined {
  const ls = text.lastIndexOf("\n", at - 1) + 1;
  const flow = /([A-Za-z_][\w.-]*)["']?\s*:\s*\{[^{}]*$/.exec(text.slice(Math.max(ls, at - SIBLING_REACH), at));
  if (flow) return flow[1];
  const indent = /^[ \t]*/.exec(text.slice(ls, at))![0].length;
  if (indent === 0) return undefined;
  for (let e = ls - 1, n = 0; n < 40 && e > 0; n++) {
    const s = text.lastIndexOf("\n", e - 1) + 1;
    const line = text.slice(s, e);
    const m = /^([ \t]*)([A-Za-z_][\w.-]*)["']?\s*:\s*$/.exec(line);
    if (/^[ \t]*/.exec(line)![0].length < indent && line.trim()) return m?.[2];
    e = s - 1;
  }
  return undefined;
}

/**
 * Names split over a map (`access_keys:` then `prod: …`; `secret_keys: {prod: …}`): the entry's
 * name qualifies the map's, as `prod.access_key` would.
 */
function nestedName(text: string, at: number, own: string, isName: RegExp): string | undefined {
  if (!/^[A-Za-z_][\w-]{0,31}$/.test(own)) return undefined;
  const parent = parentName(text, at)?.replace(/s$/i, "");
  const name = parent && `${own}.${parent}`;
  return name && isName.test(name) ? name : undefined;
}

export function nameOf(text: string, at: number, isName: RegExp): Naming {
  const own = nameBefore(text, at);
  if (GENERIC_NAME.test(own)) {
    const sib = siblingName(text, at);
    if (sib) return { name: sib, by: isName.test(sib) ? { name: sib, direct: true } : undefined };
  }
  if (own && !isName.test(own)) {
    const nested = nestedName(text, at, own, isName);
    if (nested) return { name: nested, by: { name: nested, direct: true } };
  }
  const by = namedBefore(text, at, isName);
  return { name: by?.name ?? own, by };
}
