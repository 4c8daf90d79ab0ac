import { Command } from "commander";

/** Placeholder: replaced by the real `validate` command. */
export function validateCommand(): Command {
  return new Command("validate").description("not implemented yet").action(() => {
    throw new Error("validate is not implemented yet");
  });
}
