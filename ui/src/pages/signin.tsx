import { useState } from 'preact/hooks';
import { postJson, type Session, saveSession } from '../api/index.js';
import { navigate } from '../app/router.js';
import { useI18n } from '../i18n/index.js';
import { signInErrorText } from './sign-in-error.js';

/** CPF/CNPJ and password → a customer session (POST /api/v1/auth/login). */
export function SignInPage() {
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
      const session = await postJson<Session>(
        '/auth/login',
        { document: String(form.get('document')), password: String(form.get('password')) },
        null,
      );
      saveSession(session);
      const next = params.get('next');
      navigate(next?.startsWith('/') && !next.startsWith('//') ? next : '/history');
    } catch (e) {
      setError(signInErrorText(e, t));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="card narrow">
      <h1>{t('signin.title')}</h1>
      <form onSubmit={submit} aria-describedby={error ? 'signin-error' : undefined}>
        <label for="document">{t('signin.document')}</label>
        <input id="document" name="document" autoComplete="username" inputMode="numeric" required />
        <label for="password">{t('signin.password')}</label>
        <input
          id="password"
          name="password"
          type="password"
          autoComplete="current-password"
          required
        />
        <p id="signin-error" class="error" role="alert">
          {error}
        </p>
        <button type="submit" disabled={busy}>
          {t('signin.submit')}
        </button>
      </form>
    </section>
  );
}
