/** The command to run, or undefined when none of the candidates runs. */
export function natsServerBin(): string | undefined;
