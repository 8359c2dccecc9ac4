import { useEffect, useMemo, useState } from 'preact/hooks';
import { loadSession, postJson, saveSession, setUnauthorizedHandler } from '../api/index.js';
import {
  I18nContext,
  initialLocale,
  LOCALES,
  type Locale,
  makeI18n,
  saveLocale,
  useI18n,
} from '../i18n/index.js';
import { navigate, onLinkClick, useLocation } from './router.js';
import { ROUTES, SIGN_IN_OF } from './routes.js';

/** The customer's zone for dates: the browser's until the API says otherwise. */
const TIME_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone;

export function App() {
  const [locale, setLocale] = useState<Locale>(initialLocale);
  const i18n = useMemo(
    () =>
      makeI18n(
        locale,
        (l) => {
          saveLocale(l);
          setLocale(l);
        },
        TIME_ZONE,
      ),
    [locale],
  );
  useEffect(() => saveLocale(locale), [locale]);
  return (
    <I18nContext.Provider value={i18n}>
      <Shell />
    </I18nContext.Provider>
  );
}

function Shell() {
  const { t } = useI18n();
  const url = useLocation();
  const session = loadSession();
  useEffect(() => {
    setUnauthorizedHandler(() => {
      const signIn = SIGN_IN_OF[loadSession()?.area ?? 'customer'];
      saveSession(null);
      navigate(`${signIn}?expired=1&next=${encodeURIComponent(location.pathname)}`, {
        replace: true,
      });
    });
  }, []);
  const route = ROUTES.find((r) => r.path === url.pathname);
  const area = session?.area ?? 'customer';
  const navRoutes = ROUTES.filter((r) => r.nav && (r.area ?? 'customer') === area);
  const firstPage = navRoutes[0]?.path ?? '/signin';
  useEffect(() => {
    if (url.pathname === '/') navigate(session ? firstPage : '/signin', { replace: true });
    else if (route && !route.public && !session)
      navigate(`${SIGN_IN_OF[route.area ?? 'customer']}?next=${encodeURIComponent(url.pathname)}`, {
        replace: true,
      });
  });
  useEffect(() => {
    document.title = `${route ? t(route.title) : t('notfound.title')} · ${t('app.name')}`;
  });
  const Page = route?.page;
  return (
    // biome-ignore lint/a11y/noStaticElementInteractions: delegation of the links' own clicks
    // biome-ignore lint/a11y/useKeyWithClickEvents: links keep their keyboard behaviour
    <div class="shell" onClick={onLinkClick}>
      <header class="top">
        <span class="brand">{t('app.name')}</span>
        {session && (
          <nav aria-label={t('nav.main')}>
            <ul>
              {navRoutes.map((r) => (
                <li key={r.path}>
                  <a href={r.path} aria-current={r.path === url.pathname ? 'page' : undefined}>
                    {t(r.title)}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
        )}
        <LanguagePicker />
        {session && <SignOut />}
      </header>
      <main id="main">
        {Page && (route?.public || session) ? <Page /> : !route && <h1>{t('notfound.title')}</h1>}
      </main>
    </div>
  );
}

function LanguagePicker() {
  const { t, locale, setLocale } = useI18n();
  return (
    <label class="lang">
      {t('lang.label')}{' '}
      <select value={locale} onChange={(e) => setLocale(e.currentTarget.value as Locale)}>
        {LOCALES.map((l) => (
          <option key={l} value={l} lang={l}>
            {l === 'en' ? 'English' : 'Português (Brasil)'}
          </option>
        ))}
      </select>
    </label>
  );
}

function SignOut() {
  const { t } = useI18n();
  return (
    <button
      type="button"
      class="link"
      onClick={async () => {
        const signIn = SIGN_IN_OF[loadSession()?.area ?? 'customer'];
        await postJson('/auth/logout', undefined).catch(() => undefined);
        saveSession(null);
        navigate(signIn);
      }}
    >
      {t('nav.signout')}
    </button>
  );
}
