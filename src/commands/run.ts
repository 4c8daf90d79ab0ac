import { Command } from "commander";

/** Placeholder: replaced by the real `run` command. */
export function runCommand(): Command {
  return new Command("run").description("not implemented yet").action(() => {
    throw new Error("run is not implemented yet");
  });
}
