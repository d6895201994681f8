import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
// Imported, not read from disk, so the schemas travel with any bundle (the site's build).
import modelSchema from "../../../schemas/model.schema.json" with { type: "json" };
import resultSchema from "../../../schemas/result.schema.json" with { type: "json" };
import suiteSchema from "../../../schemas/suite.schema.json" with { type: "json" };
import trustSchema from "../../../schemas/trust.schema.json" with { type: "json" };
import { BenchError } from "../errors/index.ts";
import type { ModelManifest } from "../generated/model.ts";
import type { ResultDocument } from "../generated/result.ts";
import type { SuiteDefinition } from "../generated/suite.ts";
import type { TrustList } from "../generated/trust.ts";
import { closest, unknownIdMessage } from "../pure/did-you-mean.ts";
import { printable } from "../pure/text.ts";

export interface SchemaTypes {
  model: ModelManifest;
  suite: SuiteDefinition;
  result: ResultDocument;
  trust: TrustList;
}
export type SchemaName = keyof SchemaTypes;

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => void;
const schemas = {
  model: modelSchema,
  suite: suiteSchema,
  result: resultSchema,
  trust: trustSchema,
};
let ajv: Ajv2020 | undefined;
const compiled: Partial<Record<SchemaName, ValidateFunction>> = {};

/** Each schema compiles on first use: a command pays only for the documents it reads. */
function validator(name: SchemaName): ValidateFunction {
  const done = compiled[name];
  if (done) return done;
  // strictRequired is off because `oneOf: [{required: [url]}, {required: [path]}]` names properties defined beside it.
  if (!ajv) {
    ajv = new Ajv2020({
      strict: true,
      strictRequired: false,
      allowUnionTypes: true,
      verbose: true,
      allErrors: true,
      discriminator: true,
    });
    addFormats(ajv);
  }
  const validate = ajv.compile(schemas[name]);
  compiled[name] = validate;
  return validate;
}

/** `/tasks/0/dataset` → `$.tasks[0].dataset`. */
export function toJsonPath(pointer: string, child?: string): string {
  const parts = pointer === "" ? [] : pointer.slice(1).split("/");
  if (child !== undefined) parts.push(child);
  let path = "$";
  for (const raw of parts) {
    const part = raw.replaceAll("~1", "/").replaceAll("~0", "~");
    path += /^\d+$/.test(part)
      ? `[${part}]`
      : /^[A-Za-z_][\w-]*$/.test(part)
        ? `.${printable(part, 60)}`
        : `[${printable(JSON.stringify(part), 40)}]`;
  }
  return path;
}

const knownPatterns: Record<string, string> = {
  "^[a-f0-9]{64}$": "a sha256: 64 lowercase hex characters",
  "^https://": "an https:// URL",
  "^[a-z0-9][a-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$":
    "<org>/<name> in letters, digits, '.', '_' or '-'",
  "^[a-z0-9][a-z0-9_-]*$": "lowercase letters, digits, '_' or '-'",
  "^\\d+\\.\\d+\\.\\d+$": "a semantic version like 1.0.0",
  "^[a-f0-9]{16}$": "16 lowercase hex characters",
  "^(smoke|reasoning|knowledge|math|truthfulness|coding|safety|creativity|performance|domain:[a-z][a-z0-9-]*)$":
    "smoke, reasoning, knowledge, math, truthfulness, coding, safety, creativity, performance or domain:<name>",
  "^[^\\p{Cc}\\p{Cf}\\p{Zl}\\p{Zp}]*$":
    "plain one-line text: no line breaks, control, bidi or invisible characters",
};

/** A value from an untrusted document, safe for a one-line message. */
function shown(value: unknown): string {
  return printable(JSON.stringify(value) ?? String(value), 80);
}

function describeType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : `${typeof value} ${shown(value)}`;
}

function valueAt(data: unknown, pointer: string): unknown {
  let node = data;
  for (const part of pointer === "" ? [] : pointer.slice(1).split("/")) {
    node =
      node !== null && typeof node === "object"
        ? (node as Record<string, unknown>)[part]
        : undefined;
  }
  return node;
}

type SchemaNode = { properties?: Record<string, { const?: unknown }> };

/** A local `#/$defs/x` reference of the suite schema (the only schema with a discriminated union). */
function resolveRef(ref: string | undefined): SchemaNode | undefined {
  const name = ref?.startsWith("#/$defs/") ? ref.slice("#/$defs/".length) : undefined;
  if (name === undefined) return undefined;
  // Discriminated unions live in the suite schema (tasks) and the model schema (backends).
  for (const schema of [suiteSchema, modelSchema]) {
    const found = (schema as { $defs?: Record<string, SchemaNode> }).$defs?.[name];
    if (found) return found;
  }
  return undefined;
}

function describe(error: ErrorObject, data: unknown): string | undefined {
  const path = toJsonPath(error.instancePath);
  const params = error.params as Record<string, unknown>;
  const schema = error.parentSchema as Record<string, unknown> | undefined;
  switch (error.keyword) {
    case "required": {
      const missing = String(params.missingProperty);
      const property = (
        schema?.properties as Record<string, { description?: string }> | undefined
      )?.[missing];
      const expected = property?.description ? ` (expected ${property.description})` : "";
      return `${toJsonPath(error.instancePath, missing)}: is required but missing${expected}`;
    }
    case "additionalProperties": {
      const extra = String(params.additionalProperty);
      const allowed = Object.keys((schema?.properties as object | undefined) ?? {});
      const suggestion = closest(extra, allowed);
      const hint = suggestion ? `did you mean '${suggestion}'? ` : "";
      return `${toJsonPath(error.instancePath, extra)}: unknown property (${hint}expected one of: ${allowed.join(", ")})`;
    }
    case "type":
      return `${path}: is ${describeType(valueAt(data, error.instancePath))} (expected ${params.type})`;
    case "pattern": {
      const pattern = String(params.pattern);
      return `${path}: ${shown(valueAt(data, error.instancePath))} is malformed (expected ${knownPatterns[pattern] ?? `to match ${pattern}`})`;
    }
    case "enum":
      return `${path}: ${shown(valueAt(data, error.instancePath))} is not allowed (expected one of: ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")})`;
    case "const":
      return `${path}: ${shown(valueAt(data, error.instancePath))} is not allowed (expected ${JSON.stringify(params.allowedValue)})`;
    case "oneOf": {
      const branches = (schema?.oneOf as { required?: string[] }[] | undefined) ?? [];
      const names = branches.flatMap((b) => b.required ?? []);
      if (names.length === branches.length && names.length > 0) {
        return `${path}: sets ${(params.passingSchemas as number[] | null) ? "more than one" : "none"} of ${names.map((n) => `'${n}'`).join(", ")} (expected exactly one)`;
      }
      return `${path}: ${error.message} (expected exactly one of the allowed shapes)`;
    }
    // An if/then's own error only says "must match then"; the branch's errors say what is wrong.
    case "if":
      return undefined;
    case "discriminator": {
      const tag = String(params.tag);
      const value = valueAt(data, `${error.instancePath}/${tag}`);
      const branches = (schema?.oneOf as { $ref?: string }[] | undefined) ?? [];
      const allowed = branches
        .map((b) => resolveRef(b.$ref)?.properties?.[tag]?.const)
        .filter((v): v is string => typeof v === "string");
      // A tag of the wrong type is reported by the `type` keyword already.
      if (params.error === "tag" && value !== undefined) return undefined;
      if (params.error === "tag")
        return `${toJsonPath(error.instancePath, tag)}: is required but missing (expected one of: ${allowed.join(", ")})`;
      return `${toJsonPath(error.instancePath, tag)}: ${unknownIdMessage(tag === "type" ? (error.instancePath.endsWith("/backend") ? "backend" : "task type") : tag, printable(String(value), 60), allowed)}`;
    }
    // The only false schemas: a served model's manifest (backend openai) names no files.
    case "false schema":
      return `${path}: is not allowed with backend openai (a served model has no weights or tokenizer file; remove it)`;
    case "minItems":
      return `${path}: has too few items (expected at least ${params.limit})`;
    case "minLength":
      return `${path}: is too short (expected at least ${params.limit} character${params.limit === 1 ? "" : "s"})`;
    case "maxLength":
      return `${path}: is too long (expected at most ${params.limit} characters)`;
    case "minimum":
    case "maximum":
      return `${path}: ${shown(valueAt(data, error.instancePath))} is out of range (expected ${params.comparison} ${params.limit})`;
    case "uniqueItems":
      return `${path}: items ${params.j} and ${params.i} are the same (expected unique items)`;
    case "format":
      return `${path}: is not a valid ${params.format} (expected ${params.format})`;
    default:
      return `${path}: ${error.message}`;
  }
}

/** Every problem as `file: json-path: problem (expected …)`, one per line, most specific first. */
export function formatSchemaErrors(
  file: string,
  errors: readonly ErrorObject[],
  data: unknown,
): string[] {
  const lines = new Set<string>();
  let more = 0;
  for (const error of errors) {
    if (error.schemaPath.includes("/oneOf/")) continue;
    // A hostile document can break thousands of rules: list the first ones, count the rest.
    if (lines.size >= maxProblems) {
      more++;
      continue;
    }
    const line = describe(error, data);
    if (line) lines.add(`${file}: ${line}`);
  }
  if (more > 0) lines.add(`${file}: … and ${more} more problems of the same document`);
  return [...lines];
}

/** Problems listed per document; the rest are counted. */
const maxProblems = 50;

/** Validates `data` against `schemas/<name>.schema.json`; throws one E_SCHEMA error listing every problem. */
export function validateAgainst<K extends SchemaName>(
  name: K,
  data: unknown,
  file: string,
): SchemaTypes[K] {
  const validate = validator(name);
  if (validate(data)) return data as SchemaTypes[K];
  const lines = formatSchemaErrors(file, validate.errors ?? [], data);
  throw new BenchError("E_SCHEMA", lines.join("\n"), {
    hint: `see schemas/${name}.schema.json for every field`,
  });
}
