import { Command } from "commander";

/** Placeholder: replaced by the real `schema` command. */
export function schemaCommand(): Command {
  return new Command("schema").description("not implemented yet").action(() => {
    throw new Error("schema is not implemented yet");
  });
}
