/**
 * A replay publishes a dead letter, then removes it: a stop between the two leaves it both
 * replayed and still in the queue, to be replayed (sent) again by the next run. The first
 * SIGINT or SIGTERM therefore lets the dead letter in hand finish and stops before the
 * next; a second one stops at once, as the listeners are gone by then.
 */
export interface StopBetweenLetters {
  /** The signal that asked for a stop, if one came. */
  requested(): NodeJS.Signals | undefined;
  dispose(): void;
}

const SIGNALS = ["SIGINT", "SIGTERM"] as const;

export function stopBetweenLetters(): StopBetweenLetters {
  let requested: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    requested = signal;
    dispose();
    process.stderr.write(
      `${signal}: stopping after the dead letter in hand (send it again to stop at once)\n`,
    );
  };
  const dispose = () => {
    for (const signal of SIGNALS) process.off(signal, onSignal);
  };
  for (const signal of SIGNALS) process.on(signal, onSignal);
  return { requested: () => requested, dispose };
}
