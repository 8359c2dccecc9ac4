import { useEffect, useState } from 'preact/hooks';

/** A counter that goes up every `ms`: a load depending on it runs again (live pages). */
export function useTick(ms: number): number {
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => setTick((n) => n + 1), ms);
    return () => clearInterval(timer);
  }, [ms]);
  return tick;
}
