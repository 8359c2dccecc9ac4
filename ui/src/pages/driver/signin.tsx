import { useState } from 'preact/hooks';
import { postJson, saveSession } from '../../api/index.js';
import { navigate } from '../../app/router.js';
import { useI18n } from '../../i18n/index.js';
import { signInErrorText } from '../sign-in-error.js';
import type { DriverSignIn } from './types.js';

/** CPF/CNPJ and password → a driver session (POST /api/v1/auth/driver-login). */
export function DriverSignInPage() {
  const { t } = useI18n();
  const params = new URLSearchParams(location.search);
  const [error, setError] = useState(params.get('expired') ? t('error.session') : '');
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    setBusy(true);
    setError('');
    try {
      const signedIn = await postJson<DriverSignIn>(
        '/auth/driver-login',
        { document: String(form.get('document')), password: String(form.get('password')) },
        null,
      );
      saveSession({
        token: signedIn.token,
        customerId: 0,
        expiresAt: signedIn.expiresAt,
        area: 'driver',
      });
      const next = params.get('next');
      navigate(next?.startsWith('/driver') ? next : '/driver');
    } catch (e) {
      setError(signInErrorText(e, t));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="card narrow">
      <h1>{t('dr.signin.title')}</h1>
      <p class="muted">{t('dr.signin.help')}</p>
      <form onSubmit={submit} aria-describedby={error ? 'driver-signin-error' : undefined}>
        <label for="driver-document">{t('signin.document')}</label>
        <input
          id="driver-document"
          name="document"
          autoComplete="username"
          inputMode="numeric"
          required
        />
        <label for="driver-password">{t('signin.password')}</label>
        <input
          id="driver-password"
          name="password"
          type="password"
          autoComplete="current-password"
          required
        />
        <p id="driver-signin-error" class="error" role="alert">
          {error}
        </p>
        <button type="submit" disabled={busy}>
          {t('signin.submit')}
        </button>
      </form>
      <p>
        <a href="/signin">{t('dr.signin.customer')}</a>
      </p>
      <p>
        <a href="/public/availability">{t('pub.link')}</a>
      </p>
    </section>
  );
}
