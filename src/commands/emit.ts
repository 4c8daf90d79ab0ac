import { Command } from "commander";

/** Placeholder: replaced by the real `emit` command. */
export function emitCommand(): Command {
  return new Command("emit").description("not implemented yet").action(() => {
    throw new Error("emit is not implemented yet");
  });
}
