/**
 * `hookswitch render NAME|FILE --event EVENT.json|-`: prints the exact request an
 * integration would send for an event, without sending anything.
 *
 * Exit codes: 0 rendered; 1 the event is unreadable or invalid, the integration is
 * unknown, cannot be loaded, or does not match the event (disabled included: a
 * disabled integration sends nothing), or the event leaves a path argument empty (no
 * request is made); 2 usage (e.g. no --event).
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
import { readEventInput } from "./options/event-input.js";
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
      ),
  ).action(async (target: string, options: RenderOptions) => {
    const event = await readEvent(options.event);
    const load = { secrets: "resolve", secretPolicy: secretPolicyOf(options) } as const;
    const integration = await findIntegration(target, options.dir, load);
    const mismatch = explainMismatch(integration, event);
    if (mismatch) fail(`the event does not match: ${mismatch}`);
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
    fail(`cannot read the event from ${label}: ${(err as Error).message}`);
  }
  const parsed = parseEvent(bytes);
  if (!parsed.ok) fail(`${label} is not a valid event: ${parsed.reason}`);
  return parsed.event;
}
