/**
 * Runs `work` with no NATS_ or HOOKSWITCH_ variable but those given, as a shell with nothing
 * set would, and puts the test process's environment back afterwards.
 */
export function withOnlyEnv<T>(env: Record<string, string | undefined>, work: () => T): T {
  const saved = { ...process.env };
  for (const key of Object.keys(process.env)) {
    if (key.startsWith("NATS_") || key.startsWith("HOOKSWITCH_")) delete process.env[key];
  }
  Object.assign(process.env, env);
  try {
    return work();
  } finally {
    process.env = saved;
  }
}
