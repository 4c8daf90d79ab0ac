/**
 * `hookswitch dlq list|replay|purge`: the dead-letter queue, reached with the same NATS
 * flags as `run` (how a replay is published: dlq/replay-plan.ts). It creates no stream. Each
 * command works on one deployment's dead letters (`--consumer`, as `run`'s) and on those
 * stored before dead letters were namespaced, never on another deployment's.
 */
import { Command } from "commander";
import { listCommand } from "./dlq/list.js";
import { purgeCommand } from "./dlq/purge.js";
import { replayCommand } from "./dlq/replay.js";

export function dlqCommand(): Command {
  return new Command("dlq")
    .description("list, replay or purge one deployment's dead letters (--consumer)")
    .addCommand(listCommand())
    .addCommand(replayCommand())
    .addCommand(purgeCommand());
}
