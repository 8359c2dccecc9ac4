import { useMemo } from 'preact/hooks';
import { useI18n } from '../../i18n/index.js';

/** Counts in the UI's language (`1.234` in pt-BR, `1,234` in English). */
export function useCount(): (n: number) => string {
  const { locale } = useI18n();
  return useMemo(() => {
    const format = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
    return (n: number) => format.format(n);
  }, [locale]);
}
