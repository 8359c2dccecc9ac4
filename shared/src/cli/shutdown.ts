/**
 * Resolves with the first stop request: SIGINT, SIGTERM, or the parent process going away (an IPC
 * channel closing). Install it before start-up so a signal that arrives while a service is still
 * starting waits for start-up to finish and then stops it cleanly, instead of killing it midway.
 */
export function stopRequested(): Promise<string> {
  return new Promise((resolve) => {
    const once = (reason: string) => () => resolve(reason);
    process.once('SIGINT', once('SIGINT'));
    process.once('SIGTERM', once('SIGTERM'));
    if (process.send) process.once('disconnect', once('parent-exit'));
  });
}

/** A TCP port from a command-line value: an integer 0-65535 (0 = any free port), or a usage error. */
export function parsePortFlag(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535)
    throw new RangeError(`${flag} must be a port number 0-65535, got "${value}"`);
  return n;
}
