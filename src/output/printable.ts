/**
 * Text from whoever publishes events, answers webhooks or names files, as a command or the
 * pretty log prints it to a terminal.
 */
import { startOf } from "../config/text.js";

/**
 * Event ids, accounts, reasons and receivers' errors come from outside: a control character
 * (an escape sequence) would act on the operator's terminal, so it is shown as �.
 */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what it replaces
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, "\ufffd");
}

/** `printable`, cut to its first hundred characters: an event's account may be 960 KB. */
export function printableStart(text: string): string {
  return printable(startOf(text, 100));
}
