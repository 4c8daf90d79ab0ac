/**
 * The PBX event JSON Schema (`schemas/pbx-event.schema.json`) and its compiled validator.
 * Compiled once at module load: validation is on the hot path.
 */
import { createRequire } from "node:module";
import { Ajv2020, type ErrorObject } from "ajv/dist/2020.js";
import addFormatsPlugin from "ajv-formats";
import { isDateTime } from "./date-time.js";

const require = createRequire(import.meta.url);

/** The schema document, as printed by `hookswitch schema event`. */
const PBX_EVENT_SCHEMA = require("../../schemas/pbx-event.schema.json") as Record<string, unknown>;

function compile(allErrors: boolean) {
  // Optional properties may be null (`["string", "null"]`), which strict mode refuses unless asked.
  const ajv = new Ajv2020({ allErrors, strict: true, allowUnionTypes: true });
  addFormatsPlugin.default(ajv, ["uuid"]);
  // ajv-formats' own `date-time`, without the dozen objects it makes per event.
  ajv.addFormat("date-time", { type: "string", validate: isDateTime });
  return ajv.compile(PBX_EVENT_SCHEMA);
}

/**
 * Validates a parsed JSON value against the PBX event schema, stopping at the first error
 * (on `.errors`): an event of 470,000 numbers as call types has as many errors, and
 * finding them all took 0.1–0.3 s of the event loop.
 */
export const validatePbxEvent = compile(false);

let everyError: ReturnType<typeof compile> | undefined;
/**
 * The same schema, finding every error (on `.errors`): for an invalid event small enough.
 * Compiled when first needed, as invalid events are rare: compiling took 30 ms of each start.
 */
export function everyErrorValidator(): ReturnType<typeof compile> {
  everyError ??= compile(true);
  return everyError;
}

/** How many sentences a reason shows before "and N more". */
const SHOWN_SENTENCES = 5;
/**
 * How many errors are described; later ones are only counted. `everyErrorValidator()` reports them
 * all, and an event of 480,000 numbers as call types has as many: describing each took 1.3 s
 * of the event loop per message.
 */
export const DESCRIBED_ERRORS = 100;

/** Turns ajv errors into short sentences a person understands, e.g. "data.service.uuid must be a UUID". */
export function describeSchemaErrors(errors: readonly ErrorObject[] | null | undefined): string {
  if (!errors || errors.length === 0) return "not a valid event";
  const described = errors.slice(0, DESCRIBED_ERRORS);
  const sentences = [...new Set(described.map(describeSchemaError))];
  const shown = sentences.slice(0, SHOWN_SENTENCES);
  const more = sentences.length - shown.length + (errors.length - described.length);
  if (more > 0) shown.push(`and ${more} more`);
  return shown.join("; ");
}

function describeSchemaError(error: ErrorObject): string {
  const where = pathOf(error.instancePath);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case "required": {
      const missing = String(params.missingProperty);
      return `${where ? `${where}.` : ""}${missing} is missing`;
    }
    case "type": {
      // A union such as ["string", "null"] comes as "string,null".
      const types = String(params.type).split(",").map(article).join(" or ");
      return `${where || "the event"} must be ${types}`;
    }
    case "const":
      return `${where} must be ${JSON.stringify(params.allowedValue)}`;
    case "enum":
      return `${where} must be one of ${(params.allowedValues as unknown[]).map(String).join(", ")}`;
    case "minLength":
      return `${where} must not be empty`;
    case "format":
      return `${where} must be ${formatName(String(params.format))}`;
    default:
      return `${where || "the event"} ${error.message ?? "is invalid"}`;
  }
}

/** "/data/service/uuid" -> "data.service.uuid"; "/data/user/enabledCalls/0" -> "data.user.enabledCalls[0]". */
function pathOf(instancePath: string): string {
  return instancePath
    .split("/")
    .slice(1)
    .map((part) => part.replace(/~1/g, "/").replace(/~0/g, "~"))
    .reduce(
      (path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : path ? `${path}.${part}` : part),
      "",
    );
}

function article(type: string): string {
  if (type === "object") return "a JSON object";
  if (type === "array") return "an array";
  if (type === "null") return "null";
  return `a ${type}`;
}

function formatName(format: string): string {
  if (format === "uuid") return "a UUID";
  if (format === "date-time") return "an ISO 8601 date-time (e.g. 2026-11-28T17:00:00.000Z)";
  return `a valid ${format}`;
}
