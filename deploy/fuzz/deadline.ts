/**
 * `promise`, or a rejection with `message` once `ms` passed. A liveness bound, so that "never
 * answered" fails with a message instead of hanging: not a performance assertion.
 */
export function deadline<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${message} (within ${ms} ms)`)), ms);
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}
