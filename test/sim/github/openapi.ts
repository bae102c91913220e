/** Validate sim responses against GitHub's published OpenAPI description (@octokit/openapi). */
import { createRequire } from "node:module";
import { Ajv, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";

const require = createRequire(import.meta.url);
const spec = require("@octokit/openapi/generated/api.github.com.json") as {
  paths: Record<string, Record<string, { responses: Record<string, any> }>>;
  components: { responses: Record<string, any>; schemas: Record<string, unknown> };
};

/** OpenAPI 3.0 `nullable` → JSON Schema (ajv rejects `nullable` without `type`). */
function denull(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(denull);
  if (!node || typeof node !== "object") return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) if (k !== "nullable") out[k] = k === "example" || k === "examples" ? v : denull(v);
  if ((node as { nullable?: unknown }).nullable !== true) return out;
  if (typeof out.type === "string" && !out.oneOf && !out.anyOf && !out.allOf && !out.$ref) {
    out.type = [out.type, "null"];
    if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
    return out;
  }
  return { anyOf: [out, { type: "null" }] };
}

const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (a: Ajv) => void;
const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
addFormats(ajv);
ajv.addFormat("uri-template", true);
ajv.addSchema(denull({ paths: spec.paths, components: spec.components }) as object, "gh");

const cache = new Map<string, ValidateFunction>();
const ptr = (s: string) => s.replace(/~/g, "~0").replace(/\//g, "~1").replace(/[{}]/g, encodeURIComponent);

function compile(ref: string): ValidateFunction {
  let v = cache.get(ref);
  if (!v) {
    v = ajv.compile({ $ref: ref });
    cache.set(ref, v);
  }
  return v;
}

/** Validator for the JSON response of `METHOD /path/{template}` with `status`. */
export function responseValidator(method: string, path: string, status: number): ValidateFunction {
  const op = spec.paths[path]?.[method.toLowerCase()];
  if (!op) throw new Error(`no operation ${method} ${path} in the OpenAPI description`);
  let resp = op.responses[String(status)];
  if (!resp) throw new Error(`no ${status} response for ${method} ${path}`);
  let base = `gh#/paths/${ptr(path)}/${method.toLowerCase()}/responses/${status}`;
  if (resp.$ref) {
    base = `gh${resp.$ref}`;
    resp = spec.components.responses[resp.$ref.split("/").pop()];
  }
  if (!resp.content?.["application/json"]?.schema) throw new Error(`no JSON schema for ${status} ${method} ${path}`);
  return compile(`${base}/content/application~1json/schema`);
}

export function schemaValidator(component: string): ValidateFunction {
  if (!spec.components.schemas[component]) throw new Error(`no schema ${component}`);
  return compile(`gh#/components/schemas/${component}`);
}

export function check(v: ValidateFunction, data: unknown): string[] {
  if (v(data)) return [];
  return (v.errors ?? []).slice(0, Number(process.env.SCHEMA_ERRS ?? 10)).map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`);
}
