/**
 * `hookswitch render NAME|FILE --event EVENT.json|-`: prints the exact request an
 * integration would send for an event, without sending anything.
 *
 * Exit codes: 0 rendered; 1 the event is invalid, the integration cannot be loaded, or
 * does not match the event (disabled included: a disabled integration sends nothing, unless
 * `--include-disabled` asks for the request it will send once enabled), or the event leaves
 * a path argument empty (no request is made); 2 usage: no --event, an --event file that
 * cannot be read (as for `emit --file`), no integration of that name, no --dir, or a file
 * that holds several integrations.
 *
 * An integration is rendered even when other integrations of its file have problems
 * (with a note: `run` leaves that file out); its own problems, and those of the file as
 * a whole, block it.
 */
import { Command, Option } from "commander";
import type { Integration } from "../config/types.js";
import { maskedRequest } from "../delivery/mask.js";
import { renderRequest } from "../delivery/render.js";
import { RequestTooLargeError, TOO_LARGE_ADVICE } from "../delivery/request-size.js";
import type { Rendering } from "../delivery/types.js";
import { explainMismatch } from "../events/match.js";
import { parseEvent } from "../events/parse.js";
import type { PbxEvent } from "../events/types.js";
import {
  EventInputTooLargeError,
  largeEventWarning,
  readEventInput,
} from "./options/event-input.js";
import {
  addSecretPolicyOptions,
  secretPolicyOf,
  type SecretPolicyFlags,
} from "./options/secret-options.js";
import { fail } from "./render/fail.js";
import { findIntegration } from "./render/find-integration.js";
import { formatJson, formatText } from "./render/format.js";

interface RenderOptions extends SecretPolicyFlags {
  event: string;
  dir: string;
  json?: boolean;
  showSecrets?: boolean;
  includeDisabled?: boolean;
}

export function renderCommand(): Command {
  return addSecretPolicyOptions(
    new Command("render")
      .description(
        "print the exact request an integration would send for an event, without sending it",
      )
      // Usage errors must reach cli.ts (exit 2); addCommand does not inherit the override.
      .exitOverride()
      .argument("<integration>", "integration name (looked up in --dir) or an integration file")
      .addOption(
        new Option("--event <file>", "the event as a JSON file, or - for standard input")
          .env("HOOKSWITCH_EVENT")
          .makeOptionMandatory(),
      )
      .addOption(
        new Option("--dir <dir>", "folder of integration files")
          .env("HOOKSWITCH_DIR")
          .default("./integrations.d"),
      )
      .addOption(
        new Option("--json", 'print {"method","url","headers","body"} as JSON').env(
          "HOOKSWITCH_RENDER_JSON",
        ),
      )
      .addOption(
        new Option("--show-secrets", "print secrets instead of ****").env(
          "HOOKSWITCH_SHOW_SECRETS",
        ),
      )
      .addOption(
        new Option(
          "--include-disabled",
          "render a disabled integration too: the request it will send once enabled",
        ).env("HOOKSWITCH_RENDER_INCLUDE_DISABLED"),
      ),
  ).action(async (target: string, options: RenderOptions) => {
    const event = await readEvent(options.event);
    const load = { secrets: "resolve", secretPolicy: secretPolicyOf(options) } as const;
    const integration = await findIntegration(target, options.dir, load);
    requireMatch(integration, event, options.includeDisabled === true);
    const now = new Date();
    const request = renderOrRefuse(integration, event, now);
    if ("unsendable" in request) {
      fail(
        `no request: ${request.unsendable}, and a request with an empty path segment would go ` +
          "to another URL (`hookswitch run` dead-letters such a delivery unsent)",
      );
    }
    const shown = options.showSecrets ? request : maskedRequest(integration, request, event, now);
    process.stdout.write(options.json ? formatJson(shown) : formatText(shown));
  });
}

/**
 * Ends the command when the integration would send nothing for the event. A disabled one
 * may be previewed before it is switched on: it is judged as if enabled, and said to be off.
 */
function requireMatch(integration: Integration, event: PbxEvent, includeDisabled: boolean): void {
  const judged = includeDisabled ? { ...integration, enabled: true } : integration;
  const mismatch = explainMismatch(judged, event);
  if (mismatch) {
    const hint = integration.enabled
      ? ""
      : includeDisabled
        ? ` (and it is disabled, enabled: false)`
        : "; --include-disabled renders the request it will send once enabled";
    fail(`the event does not match: ${mismatch}${hint}`);
  }
  if (!integration.enabled) {
    process.stderr.write(
      `note: ${integration.name} is disabled (enabled: false): \`hookswitch run\` sends this ` +
        "request only once it is enabled\n",
    );
  }
}

/** The request, or a refusal when the event makes it larger than hookswitch sends. */
function renderOrRefuse(integration: Integration, event: PbxEvent, now: Date): Rendering {
  try {
    return renderRequest(integration, event, now);
  } catch (error) {
    if (!(error instanceof RequestTooLargeError)) throw error;
    fail(
      `no request: ${error.message}, and a request that large is not sent (\`hookswitch run\` ` +
        `dead-letters such a delivery unsent): ${TOO_LARGE_ADVICE}`,
    );
  }
}

async function readEvent(source: string): Promise<PbxEvent> {
  const label = source === "-" ? "standard input" : source;
  let bytes: Uint8Array;
  try {
    bytes = await readEventInput(source);
  } catch (err) {
    // Too large is the event's own fault, as a malformed one is (exit 1); a path that names
    // no readable file is a usage error (exit 2): a CI script must tell the two apart.
    if (err instanceof EventInputTooLargeError)
      fail(`${label} is not a valid event: ${err.message}`);
    fail(`cannot read the event from ${label}: ${(err as Error).message}`, 2);
  }
  const large = largeEventWarning(bytes.byteLength);
  if (large) process.stderr.write(`hookswitch render: ${large}\n`);
  const parsed = parseEvent(bytes);
  if (!parsed.ok) fail(`${label} is not a valid event: ${parsed.reason}`);
  return parsed.event;
}
