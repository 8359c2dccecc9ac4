import { useEffect, useState } from 'preact/hooks';

/**
 * Loads `load()` now and every `everyMs` (the API's last state: the pages poll, no socket), and
 * again when `reload()` is called; the newest answer wins, an error keeps the last data.
 */
export function usePoll<T>(load: () => Promise<T>, everyMs: number, deps: unknown[] = []) {
  const [state, setState] = useState<{ data?: T; error?: Error; at?: number }>({});
  const [round, setRound] = useState(0);
  useEffect(() => {
    let current = true;
    const run = () =>
      load().then(
        (data) => current && setState({ data, at: Date.now() }),
        (error: Error) => current && setState((s) => ({ ...s, error })),
      );
    run();
    const timer = setInterval(run, everyMs);
    return () => {
      current = false;
      clearInterval(timer);
    };
  }, [...deps, round]);
  return { ...state, reload: () => setRound((r) => r + 1) };
}
