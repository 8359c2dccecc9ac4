import { useEffect, useState } from 'preact/hooks';

/** The path (and query) the page shows; changes with navigate() and the browser's back/forward. */
export function useLocation(): URL {
  const [href, setHref] = useState(location.href);
  useEffect(() => {
    const update = () => setHref(location.href);
    addEventListener('popstate', update);
    addEventListener('gridlink:navigate', update);
    return () => {
      removeEventListener('popstate', update);
      removeEventListener('gridlink:navigate', update);
    };
  }, []);
  return new URL(href);
}

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (options.replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  dispatchEvent(new Event('gridlink:navigate'));
}

/** Same-origin links move without a reload; modified clicks (new tab…) keep the browser's way. */
export function onLinkClick(event: MouseEvent): void {
  const a = (event.target as Element).closest('a');
  if (!a || a.origin !== location.origin || a.target || event.button !== 0) return;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  event.preventDefault();
  navigate(a.pathname + a.search);
}
