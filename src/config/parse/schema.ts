/**
 * The integration JSON Schema: located next to the package (`schemas/`), read and
 * compiled once per process, then reused for every document.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";

/** `schemas/` of the package: this module lives in `src/config/parse/` or `dist/config/parse/`. */
const SCHEMAS_DIR = fileURLToPath(new URL("../../../schemas/", import.meta.url));

export const SCHEMA_FILES = {
  integration: "integration.schema.json",
  event: "pbx-event.schema.json",
} as const;
export type SchemaName = keyof typeof SCHEMA_FILES;

export function schemaPath(name: SchemaName): string {
  return `${SCHEMAS_DIR}${SCHEMA_FILES[name]}`;
}

/** The schema text exactly as shipped (what `hookswitch schema` prints). */
export function readSchemaText(name: SchemaName): string {
  return readFileSync(schemaPath(name), "utf8");
}

let integrationSchemaObject: object | undefined;

/** The integration schema as data, parsed once per process (the validator, key places). */
export function integrationSchema(): object {
  integrationSchemaObject ??= JSON.parse(readSchemaText("integration")) as object;
  return integrationSchemaObject;
}

let compiled: ValidateFunction | undefined;

/** The compiled integration validator; compiled on first use only. */
function integrationValidator(): ValidateFunction {
  if (!compiled) {
    // verbose: errors carry the failing data and schema, used for human messages.
    // strict: the schema compiles under every strict-mode check (as generic validators
    // such as ajv-cli need it to), so nothing is relaxed here.
    // validateSchema: checking the shipped schema against the meta-schema took a third of
    // every start's compile; the tests check it against the meta-schema instead.
    const ajv = new Ajv2020({
      allErrors: true,
      strict: true,
      verbose: true,
      validateSchema: false,
    });
    compiled = ajv.compile(integrationSchema());
  }
  return compiled;
}

/** Validates one document's data; returns ajv's errors (empty when valid). */
export function schemaErrors(data: unknown): ErrorObject[] {
  const validate = integrationValidator();
  return validate(data) ? [] : [...(validate.errors ?? [])];
}
