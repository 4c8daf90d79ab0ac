/** Choices of a flag taken in any letter case. */
import type { Option } from "commander";

/**
 * `option` taking one of `values` in any letter case, passed on in lower case: platforms and
 * habits write `LOG_LEVEL=INFO` or `HOOKSWITCH_DELIVER=ALL`. Anything else is refused as
 * commander refuses a choice, quoting what was given and listing the values.
 */
export function anyCaseChoices(option: Option, values: readonly string[]): Option {
  const strict = option.choices(values).parseArg;
  if (!strict) return option;
  return option.argParser((arg: string, previous: unknown) => strict(arg.toLowerCase(), previous));
}
