// Who is signed in on the pages (GET /auth/me), shown in a bar on each page
// with a sign-in link or a sign-out button, and the CSRF header every
// write through the session cookie must carry (docs/adr/0002).
let current;

// session resolves to /auth/me's answer: { signedIn, signInAvailable,
// name, role, region, csrfToken }. Asked once per page.
export function session() {
  current ??= fetch('/auth/me', { headers: { Accept: 'application/json' } })
    .then((r) => (r.ok ? r.json() : { signedIn: false }))
    .catch(() => ({ signedIn: false }));
  return current;
}

// csrfHeaders are the headers a same-origin request adds so that the
// session may write; none when nobody is signed in.
export async function csrfHeaders() {
  const s = await session();
  return s.csrfToken ? { 'X-CSRF-Token': s.csrfToken } : {};
}

function el(tag, props, ...children) {
  const e = Object.assign(document.createElement(tag), props);
  e.append(...children);
  return e;
}

// showSession fills (or adds at the top of the page) the sign-in bar.
export async function showSession(target) {
  const s = await session();
  const bar = target || document.body.insertBefore(el('div', { id: 'session' }), document.body.firstChild);
  bar.classList.add('session');
  bar.dataset.signedIn = String(Boolean(s.signedIn));
  if (s.signedIn) {
    const who = el('span', { id: 'session-who' }, el('strong', { id: 'session-name' }, s.name || s.subject),
      ' · ', el('span', { id: 'session-role' }, s.role), s.region ? ' · ' : '', el('span', { id: 'session-region' }, s.region || ''));
    const out = el('form', { method: 'post', action: '/auth/logout', id: 'session-signout' },
      el('input', { type: 'hidden', name: 'csrf', value: s.csrfToken }), el('button', { type: 'submit' }, 'Sign out'));
    bar.replaceChildren(who, out);
  } else if (s.signInAvailable) {
    const back = window.location.pathname + window.location.search;
    bar.replaceChildren(el('a', { id: 'session-signin', href: `/auth/login?returnTo=${encodeURIComponent(back)}` }, 'Sign in'));
  } else {
    bar.replaceChildren();
  }
  bar.hidden = bar.childElementCount === 0; // no sign-in on this server: no bar
  return s;
}
