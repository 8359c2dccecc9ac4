import { useMemo } from 'preact/hooks';
import { type MessageKey, messages, useI18n } from '../../i18n/index.js';

/** Counts in the UI's language (`1.234` in pt-BR, `1,234` in English). */
export function useCount(): (n: number) => string {
  const { locale } = useI18n();
  return useMemo(() => {
    const format = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
    return (n: number) => format.format(n);
  }, [locale]);
}

/** An API enum value in the UI's language (`op.<group>.<value>`), or the value itself if unknown. */
export function useEnumText(): (group: string, value: string) => string {
  const { t, locale } = useI18n();
  return (group, value) => {
    const key = `op.${group}.${value}`;
    return key in messages[locale] ? t(key as MessageKey) : value;
  };
}

/** A measured value in the UI's language, up to 3 decimals (`1.800`, `230,5`). */
export function useMeasure(): (n: number) => string {
  const { locale } = useI18n();
  return useMemo(() => {
    const format = new Intl.NumberFormat(locale, { maximumFractionDigits: 3 });
    return (n: number) => format.format(n);
  }, [locale]);
}
