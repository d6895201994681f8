import { type SchemaName, type SchemaTypes, validateAgainst } from "../config/schema.ts";
import { BenchError, isBenchError } from "../errors/index.ts";
import { base64Problem } from "./keys.ts";

/** A base64 field of a document to check: its JSON path, its raw value, the bytes it must hold. */
export interface EncodedField {
  path: string;
  value: unknown;
  bytes: number;
}

/**
 * `validateAgainst`, with each base64 field in `fields` checked for canonical base64 of its exact
 * length. The schema's pattern says the same, but its message would quote the whole value
 * (possibly megabytes) and name a regular expression; this one says what is wrong instead.
 */
export function validateEncoded<K extends SchemaName>(
  name: K,
  data: unknown,
  file: string,
  fields: readonly EncodedField[],
): SchemaTypes[K] {
  const friendly = new Map<string, string>();
  for (const field of fields) {
    if (typeof field.value !== "string") continue;
    const problem = base64Problem(field.value, field.bytes);
    if (problem) friendly.set(`${file}: ${field.path}: `, `${file}: ${field.path}: ${problem}`);
  }
  let validated: SchemaTypes[K];
  try {
    validated = validateAgainst(name, data, file);
  } catch (error) {
    if (!isBenchError(error) || friendly.size === 0) throw error;
    const lines = error.message.split("\n").map((line) => {
      for (const [prefix, replacement] of friendly) if (line.startsWith(prefix)) return replacement;
      return line;
    });
    for (const replacement of friendly.values())
      if (!lines.includes(replacement)) lines.push(replacement);
    throw new BenchError("E_SCHEMA", lines.join("\n"), error.hint ? { hint: error.hint } : {});
  }
  if (friendly.size > 0) throw new BenchError("E_SCHEMA", [...friendly.values()].join("\n"));
  return validated;
}
