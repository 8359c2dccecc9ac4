import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import { type Formatters, formatters } from './format.js';
import { LOCALES, type Locale, type MessageKey, messages } from './messages.js';

export { type Formatters, formatters, scaled } from './format.js';
export { LOCALES, type Locale, type MessageKey, messages } from './messages.js';

const STORAGE_KEY = 'gridlink.locale';

/** The saved choice, else the browser's first language we speak, else pt-BR. */
export function initialLocale(): Locale {
  const saved = localStorage.getItem(STORAGE_KEY);
  if (saved && (LOCALES as string[]).includes(saved)) return saved as Locale;
  for (const tag of navigator.languages ?? []) {
    if (tag.toLowerCase().startsWith('en')) return 'en';
    if (tag.toLowerCase().startsWith('pt')) return 'pt-BR';
  }
  return 'pt-BR';
}

export function saveLocale(locale: Locale): void {
  localStorage.setItem(STORAGE_KEY, locale);
  document.documentElement.lang = locale;
}

/** `t('signin.throttled', { seconds: 3 })`: the locale's text with `{name}` filled in. */
export function translator(locale: Locale) {
  const table = messages[locale];
  return (key: MessageKey, params: Record<string, string | number> = {}) =>
    table[key].replace(/\{(\w+)\}/g, (_, name: string) => String(params[name] ?? `{${name}}`));
}

export interface I18n {
  locale: Locale;
  setLocale: (locale: Locale) => void;
  t: ReturnType<typeof translator>;
  f: Formatters;
}

export function makeI18n(locale: Locale, setLocale: (l: Locale) => void, timeZone: string): I18n {
  return { locale, setLocale, t: translator(locale), f: formatters(locale, timeZone) };
}

export const I18nContext = createContext<I18n | null>(null);

export function useI18n(): I18n {
  const i18n = useContext(I18nContext);
  if (!i18n) throw new Error('useI18n outside <I18nContext.Provider>');
  return i18n;
}
