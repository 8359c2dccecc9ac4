import { useState } from 'preact/hooks';
import { ApiError, getJson, saveSession } from '../../api/index.js';
import { navigate } from '../../app/router.js';
import { useI18n } from '../../i18n/index.js';

/** How long the tab keeps a pasted token (sessionStorage also forgets it when the tab closes). */
const KEEP_MS = 12 * 3600_000;

/**
 * Staff have no password sign-in: an admin mints an operator (or admin) token
 * (`POST /api/v1/tokens`) and the operator pastes it here once. It is tried on `GET /edges`
 * (staff only) and kept in sessionStorage, never in localStorage.
 */
export function OperatorSignInPage() {
  const { t } = useI18n();
  const params = new URLSearchParams(location.search);
  const [error, setError] = useState(params.get('expired') ? t('error.session') : '');
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    const token = String(new FormData(event.currentTarget as HTMLFormElement).get('token')).trim();
    setBusy(true);
    setError('');
    try {
      await getJson('/edges', token);
      saveSession({
        token,
        customerId: 0,
        expiresAt: new Date(Date.now() + KEEP_MS).toISOString(),
        area: 'operator',
      });
      const next = params.get('next');
      navigate(next?.startsWith('/operator') ? next : '/operator');
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) setError(t('op.signin.invalid'));
      else if (e instanceof ApiError && e.status === 403) setError(t('op.signin.notStaff'));
      else setError(t('error.generic', { message: (e as Error).message }));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="card narrow">
      <h1>{t('op.signin.title')}</h1>
      <form onSubmit={submit} aria-describedby="op-token-help">
        <label for="op-token">{t('op.signin.token')}</label>
        <input id="op-token" name="token" type="password" autoComplete="off" required />
        <p id="op-token-help" class="muted">
          {t('op.signin.help')}
        </p>
        <p class="error" role="alert">
          {error}
        </p>
        <button type="submit" disabled={busy}>
          {t('signin.submit')}
        </button>
      </form>
    </section>
  );
}
