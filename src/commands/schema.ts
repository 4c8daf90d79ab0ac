/** `hookswitch schema [integration|event]`: prints a JSON Schema as shipped. */
import { Command } from "commander";
import {
  readSchemaText,
  schemaPath,
  SCHEMA_FILES,
  type SchemaName,
} from "../config/parse/schema.js";
import { InstallError, UsageError } from "../errors.js";

export function schemaCommand(): Command {
  return new Command("schema")
    .description("print the JSON Schema of integration files or of PBX events")
    .argument("[name]", "integration or event", "integration")
    .action((name: string) => {
      if (!Object.hasOwn(SCHEMA_FILES, name)) {
        throw new UsageError(`unknown schema "${name}": use integration or event`);
      }
      let text: string;
      try {
        text = readSchemaText(name as SchemaName);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? String(err);
        throw new InstallError(
          `the ${name} schema cannot be read from ${schemaPath(name as SchemaName)} (${code}); reinstall hookswitch`,
          { cause: err },
        );
      }
      process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
    });
}
