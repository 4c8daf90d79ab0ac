/**
 * `hookswitch run`: the daemon. Parses flags (each also read from an environment
 * variable), starts the daemon and walks the signal ladder until it stops.
 */
import { Command } from "commander";
import { OPEN_POLICY } from "../config/secret-policy.js";
import { createDaemon } from "../daemon/daemon.js";
import { ExitError, isExplained } from "../errors.js";
import { installSignalLadder, signalExitCode, type SignalLadder } from "../lifecycle.js";
import { createLogger } from "../logger.js";
import { optionNamer } from "./options/env-flags.js";
import { addNatsOptions } from "./options/nats-options.js";
import { addRunOptions, toSettings, type RunFlags } from "./options/run-options.js";
import { addSecretPolicyOptions, secretPolicyWarning } from "./options/secret-options.js";

export function runCommand(): Command {
  const command = new Command("run").description(
    "run the daemon: watch integrations, consume PBX events, deliver webhooks",
  );
  addRunOptions(command);
  addSecretPolicyOptions(command);
  addNatsOptions(command, { jetstream: true });
  return command.action(runDaemon);
}

async function runDaemon(flags: RunFlags, invoked: Command): Promise<void> {
  const settings = toSettings(flags, optionNamer(invoked));
  const log = createLogger({ level: flags.logLevel, format: flags.logFormat });
  const policyWarning = secretPolicyWarning(settings.secretPolicy ?? OPEN_POLICY);
  if (policyWarning) log.warn(policyWarning);
  const daemon = createDaemon(settings, log);
  const ladder = installSignalLadder(log, () => void daemon.resync());
  try {
    // A stop may come while start still waits for NATS: then start is abandoned.
    await Promise.race([daemon.start(), ladder.stopRequested, daemon.failed]);
    await Promise.race([ladder.stopRequested, daemon.failed]);
    await stopUnlessForced(daemon.stop(), ladder);
  } catch (err) {
    if (err instanceof ExitError) throw err; // a forced stop: nothing more to wait for
    if (isExplained(err) && !log.isLevelEnabled("debug")) {
      // Its message says what to do, its causes' included: no stack, neither its own nor
      // theirs (the logger adds those as "caused by"). At debug, both stay.
      delete err.stack;
      delete err.cause;
    }
    log.fatal({ err }, "hookswitch stopped on an error");
    // The stop after a failure still waits for deliveries in flight: a second signal ends it.
    await stopUnlessForced(
      daemon.stop().catch(() => undefined),
      ladder,
    );
    throw new ExitError(1);
  } finally {
    ladder.dispose();
    log.flush();
  }
}

/** Waits for the stop, unless a second signal asks to stop at once: then exits with its code. */
async function stopUnlessForced(
  stopping: Promise<void>,
  ladder: Pick<SignalLadder, "forceRequested">,
): Promise<void> {
  const forced = await Promise.race([stopping.then(() => undefined), ladder.forceRequested]);
  if (forced) {
    throw new ExitError(signalExitCode(forced.signal), "forced stop", { immediate: true });
  }
}
