import { Command } from "commander";

/** Placeholder: replaced by the real `render` command. */
export function renderCommand(): Command {
  return new Command("render").description("not implemented yet").action(() => {
    throw new Error("render is not implemented yet");
  });
}
