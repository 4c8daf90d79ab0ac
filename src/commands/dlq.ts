import { Command } from "commander";

/** Placeholder: replaced by the real `dlq` command. */
export function dlqCommand(): Command {
  return new Command("dlq").description("not implemented yet").action(() => {
    throw new Error("dlq is not implemented yet");
  });
}
