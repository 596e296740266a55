/**
 * The admins' web console under `/console` (issue 14): pages rendered on the server, in French,
 * with no script at all (plain forms), so the Content-Security-Policy can forbid every script.
 * Built on the admin API alone: every page is one or more calls to `/api/...` made with the
 * session's own bearer token, so roles, masking and the audit of reveals are the API's.
 *
 * Security:
 * - log in with an API token (roles `reader`, `operator`); the session cookie is `HttpOnly`,
 *   `SameSite=Strict`, `Path=/console`, `Secure` when asked, and the session expires
 *   (`SESSION_POLICY`: idle and absolute limits);
 * - every change is a POST carrying the session's CSRF token (checked in constant time) and
 *   coming from the same origin (`Origin`/`Sec-Fetch-Site` when the browser sends them);
 * - no patient data in URLs: the subject and names are shown only after a POST "révéler",
 *   which the API writes in the message's trace; filters in URLs are states, networks, stages;
 * - `Content-Security-Policy: default-src 'none'; style-src 'self'; ...`, assets from the
 *   installation (one style sheet, below), no CDN.
 *
 * Runtime agnostic (Hono, WebCrypto); `app/node/start-gateway.ts` mounts it.
 */
import { Hono, type Context } from 'hono';
import { getCookie, setCookie, deleteCookie } from 'hono/cookie';
import { CONSOLE_CSS } from './console-css.js';
import { CHARTS_JS, UPLOAD_JS } from './console-charts.js';

/** How long a session lives: idle and absolute limits (policy as data). */
export const SESSION_POLICY = { idleMs: 30 * 60_000, absoluteMs: 8 * 3600_000, maxSessions: 1000 } as const;

export interface ConsoleOptions {
  /** The admin API (its `request`/`fetch`): the console's only way to the gateway's state. */
  api: { fetch: (req: Request) => Response | Promise<Response> };
  clock?: { now(): number };
  /** The app serving `/ready` (no token): the dashboard shows its status, reasons, warnings, trust list. */
  probe?: { fetch: (req: Request) => Response | Promise<Response> };
  /** Mark the cookie `Secure` (behind TLS). */
  secureCookie?: boolean;
  /** The chart library's files, from the installation (uPlot's IIFE build and its CSS): without them the dashboard shows tables only. */
  chartLibrary?: { js: string; css: string };
}

interface Session { token: string; name: string; role: 'reader' | 'operator'; csrf: string; createdAt: number; seenAt: number }

const COOKIE = 'passerelle_console';
const esc = (v: unknown) => String(v ?? '').replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
const FR_DATE = new Intl.DateTimeFormat('fr-FR', { dateStyle: 'short', timeStyle: 'medium', timeZone: 'Europe/Paris' });
const FR_NUM = new Intl.NumberFormat('fr-FR');
const date = (iso: string | null | undefined) => (iso ? FR_DATE.format(new Date(iso)) : '—');
const num = (n: number | null | undefined) => FR_NUM.format(n ?? 0);

const STATE_FR: Record<string, string> = {
  received: 'reçu', processing: 'en cours', queued: 'en file', delivered: 'remis', failed: 'échec', quarantined: 'en quarantaine',
  dropped: 'supprimé', bounced: 'rejeté', partial: 'partiel', pending: 'en attente', sent: 'envoyé',
  opened: 'ouvert', routed: 'routé', done: 'terminé', duplicate: 'doublon', sending: 'en cours d\'envoi',
};
const fr = (s: string | null | undefined) => (s ? STATE_FR[s] ?? s : '—');
const NETWORK_FR: Record<string, string> = { legacy: 'LNP (réseau historique)', national: 'MSSanté', lnp: 'LNP (réseau historique)', mssante: 'MSSanté' };

const CSP = "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

function randomId(bytes = 32): string {
  const b = crypto.getRandomValues(new Uint8Array(bytes));
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

function sameText(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return d === 0;
}

const NAV: [string, string][] = [['/console', 'Tableau de bord'], ['/console/messages', 'Messages'], ['/console/quarantine', 'Quarantaine'], ['/console/directory', 'Annuaire'], ['/console/trust', 'Confiance et certificats'], ['/console/settings', 'Paramètres']];

function layout(title: string, body: string, s?: Session, current?: string, head = ''): string {
  const nav = s
    ? `<nav aria-label="Navigation principale"><ul>${NAV.map(([href, label]) => `<li><a href="${href}"${href === current ? ' aria-current="page"' : ''}>${label}</a></li>`).join('')}</ul>
<form method="post" action="/console/logout" class="logout"><input type="hidden" name="csrf" value="${esc(s.csrf)}"><span>${esc(s.name)} (${s.role === 'operator' ? 'opérateur' : 'lecteur'})</span> <button type="submit">Se déconnecter</button></form></nav>`
    : '';
  return `<!doctype html><html lang="fr"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} · Passerelle</title><link rel="stylesheet" href="/console/assets/console.css">${head}</head>
<body><header><p class="brand">Passerelle · console d'administration</p>${nav}</header><main><h1>${esc(title)}</h1>${body}</main></body></html>`;
}

function csrfField(s: Session) { return `<input type="hidden" name="csrf" value="${esc(s.csrf)}">`; }

export function consoleApp(o: ConsoleOptions): Hono {
  const now = () => (o.clock ?? { now: () => Date.now() }).now();
  const sessions = new Map<string, Session>();
  const app = new Hono();

  const api = async (s: Session, path: string, init: { method?: string; body?: unknown; bytes?: ArrayBuffer } = {}) => {
    const res = await o.api.fetch(new Request(`http://console.local${path}`, {
      method: init.method ?? 'GET',
      headers: { Authorization: `Bearer ${s.token}`, ...(init.body ? { 'Content-Type': 'application/json' } : {}), ...(init.bytes ? { 'Content-Type': 'application/octet-stream' } : {}) },
      ...(init.body ? { body: JSON.stringify(init.body) } : {}),
      ...(init.bytes ? { body: init.bytes } : {}),
    }));
    const text = await res.text();
    let body: any = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = null;
    }
    return { status: res.status, body };
  };

  const page = (c: Context, html: string, status: 200 | 400 | 401 | 403 | 404 = 200) => {
    c.header('Content-Security-Policy', CSP);
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Referrer-Policy', 'no-referrer');
    c.header('Cache-Control', 'no-store');
    return c.html(html, status);
  };

  const session = (c: Context): Session | null => {
    const id = getCookie(c, COOKIE);
    if (!id) return null;
    const s = sessions.get(id);
    if (!s) return null;
    const t = now();
    if (t - s.seenAt > SESSION_POLICY.idleMs || t - s.createdAt > SESSION_POLICY.absoluteMs) {
      sessions.delete(id);
      return null;
    }
    s.seenAt = t;
    return s;
  };

  /** A POST's form after its CSRF token and origin are checked; null when refused. */
  const checkedForm = async (c: Context, s: Session): Promise<Record<string, string | string[] | File> | null> => {
    const site = c.req.header('Sec-Fetch-Site');
    if (site && site !== 'same-origin' && site !== 'none') return null;
    const origin = c.req.header('Origin');
    if (origin && origin !== 'null' && new URL(origin).host !== new URL(c.req.url).host) return null;
    const form = await c.req.parseBody({ all: true }) as Record<string, string | string[] | File>;
    const csrf = typeof form['csrf'] === 'string' ? form['csrf'] : '';
    return sameText(csrf, s.csrf) ? form : null;
  };

  const refused = (c: Context, s: Session | undefined, text: string, status: 400 | 403 = 403) =>
    page(c, layout('Action refusée', `<p role="alert">${esc(text)}</p><p><a href="/console">Retour au tableau de bord</a></p>`, s), status);

  const asset = (type: string, body: string) => (c: Context) => {
    c.header('Cache-Control', 'public, max-age=3600');
    c.header('Content-Type', type);
    c.header('X-Content-Type-Options', 'nosniff');
    return c.body(body);
  };
  if (o.chartLibrary) {
    app.get('/console/assets/uplot.js', asset('text/javascript; charset=utf-8', o.chartLibrary.js));
    app.get('/console/assets/uplot.css', asset('text/css; charset=utf-8', o.chartLibrary.css));
    app.get('/console/assets/charts.js', asset('text/javascript; charset=utf-8', CHARTS_JS));
  }
  app.get('/console/assets/upload.js', asset('text/javascript; charset=utf-8', UPLOAD_JS));
  app.get('/console/assets/console.css', (c) => {
    c.header('Cache-Control', 'public, max-age=3600');
    return c.body(CONSOLE_CSS, 200, { 'Content-Type': 'text/css; charset=utf-8' });
  });

  const loginPage = (c: Context, error?: string, status: 200 | 401 = 200) => page(c, layout('Connexion', `
${error ? `<p role="alert" class="error">${esc(error)}</p>` : ''}
<form method="post" action="/console/login" class="login">
<label for="token">Jeton d'accès (API d'administration)</label>
<input id="token" name="token" type="password" autocomplete="off" required>
<button type="submit">Se connecter</button></form>
<p class="hint">Un jeton se crée sur le serveur : <code>passerelle token add NOM --role reader|operator</code>.</p>`), status);

  app.get('/console/login', (c) => loginPage(c));
  app.post('/console/login', async (c) => {
    const site = c.req.header('Sec-Fetch-Site');
    if (site && site !== 'same-origin' && site !== 'none') return loginPage(c, 'Requête refusée.', 401);
    const form = await c.req.parseBody();
    const token = typeof form['token'] === 'string' ? form['token'].trim() : '';
    const probe: Session = { token, name: '', role: 'reader', csrf: '', createdAt: 0, seenAt: 0 };
    const who = token ? await api(probe, '/api/whoami') : { status: 401, body: null };
    if (who.status !== 200) return loginPage(c, 'Jeton inconnu.', 401);
    if (sessions.size >= SESSION_POLICY.maxSessions) {
      for (const [k, v] of sessions) if (now() - v.seenAt > SESSION_POLICY.idleMs) sessions.delete(k);
      if (sessions.size >= SESSION_POLICY.maxSessions) sessions.delete(sessions.keys().next().value!);
    }
    const id = randomId();
    const t = now();
    sessions.set(id, { token, name: who.body.name, role: who.body.role, csrf: randomId(), createdAt: t, seenAt: t });
    setCookie(c, COOKIE, id, { httpOnly: true, sameSite: 'Strict', path: '/console', secure: o.secureCookie ?? false, maxAge: SESSION_POLICY.absoluteMs / 1000 });
    return c.redirect('/console', 303);
  });

  app.post('/console/logout', async (c) => {
    const s = session(c);
    if (s && (await checkedForm(c, s))) sessions.delete(getCookie(c, COOKIE)!);
    deleteCookie(c, COOKIE, { path: '/console' });
    return c.redirect('/console/login', 303);
  });

  // Everything else needs a live session.
  app.use('/console/*', async (c, next) => {
    if (c.req.path.startsWith('/console/assets/') || c.req.path === '/console/login') return next();
    if (!session(c)) return c.req.method === 'GET' ? c.redirect('/console/login', 303) : c.text('session expirée', 401);
    return next();
  });
  app.use('/console', async (c, next) => (session(c) ? next() : c.redirect('/console/login', 303)));

  app.get('/console', async (c) => {
    const s = session(c)!;
    const q = await api(s, '/api/queue');
    const quarantined = await api(s, '/api/quarantine?limit=200');
    const recent = await api(s, '/api/messages?limit=200');
    const today = new Date(now()).toISOString().slice(0, 10);
    const qToday = (quarantined.body?.messages ?? []).filter((m: any) => String(m.receivedAt).startsWith(today)).length;
    const counts = (o: Record<string, number> | undefined) => Object.entries(o ?? {}).map(([k, v]) => `<tr><th scope="row">${esc(fr(k))}</th><td>${num(v)}</td></tr>`).join('')
      || '<tr><td colspan="2">aucun</td></tr>';
    const flows = new Map<string, number>();
    for (const m of recent.body?.messages ?? []) flows.set(m.source, (flows.get(m.source) ?? 0) + 1);
    let ready: any = null;
    if (o.probe) {
      try {
        ready = await (await o.probe.fetch(new Request('http://console.local/ready'))).json();
      } catch {
        ready = null;
      }
    }
    const history = (await api(s, '/api/stats/history?minutes=180')).body;
    const age = (sec: number | null | undefined) => (sec === null || sec === undefined ? '—' : sec < 3600 ? `${num(Math.round(sec / 60))} min` : `${num(Math.round(sec / 360) / 10)} h`);
    const readyHtml = ready ? `<section aria-labelledby="ready"><h2 id="ready">État de service</h2>
<p class="${ready.status === 'ready' ? 'notice' : 'error'}">${ready.status === 'ready' ? 'Prêt à recevoir du courrier.' : 'Non prêt.'}</p>
${(ready.reasons ?? []).length ? `<ul aria-label="Raisons">${ready.reasons.map((r: string) => `<li>${esc(r)}</li>`).join('')}</ul>` : ''}
${(ready.warnings ?? []).length ? `<h3>Avertissements (certificats, liste de confiance)</h3><ul>${ready.warnings.map((r: string) => `<li>${esc(r)}</li>`).join('')}</ul>` : ''}
<dl class="kpi"><div><dt>Âge du plus ancien message en file</dt><dd>${age(ready.oldestQueuedAgeSeconds)}</dd></div>
<div><dt>Reports (5 dernières minutes)</dt><dd>${num(ready.deferralsLast5m)}</dd></div>
${ready.trustList ? `<div><dt>Âge de la liste de confiance</dt><dd>${age(ready.trustList.ageSeconds)}</dd></div><div><dt>Domaines de confiance</dt><dd>${num(ready.trustList.domains)}</dd></div>` : ''}</dl></section>` : '';
    return page(c, layout('Tableau de bord', `${readyHtml}
<section aria-labelledby="kpi"><h2 id="kpi">En un coup d'œil</h2><dl class="kpi">
<div><dt>Messages en quarantaine</dt><dd>${num(q.body?.messages?.quarantined)}</dd></div>
<div><dt>Mis en quarantaine aujourd'hui</dt><dd>${num(qToday)}</dd></div>
<div><dt>Remises en file</dt><dd>${num(q.body?.deliveries?.queued)}</dd></div>
<div><dt>Prochaine remise due</dt><dd>${date(q.body?.nextDue)}</dd></div>
</dl></section>
${historySection(history)}
<section aria-labelledby="msgs"><h2 id="msgs">Messages par état</h2><table><caption>Tous les messages conservés</caption><tbody>${counts(q.body?.messages)}</tbody></table></section>
<section aria-labelledby="dlv"><h2 id="dlv">Remises par état</h2><table><caption>Remises vers chaque destinataire</caption><tbody>${counts(q.body?.deliveries)}</tbody></table></section>
<section aria-labelledby="flow"><h2 id="flow">Derniers messages par réseau d'origine</h2><table><caption>Sur les ${num((recent.body?.messages ?? []).length)} derniers messages</caption><tbody>
${[...flows].map(([k, v]) => `<tr><th scope="row">${esc(NETWORK_FR[k] ?? k)}</th><td>${num(v)}</td></tr>`).join('') || '<tr><td colspan="2">aucun</td></tr>'}</tbody></table></section>
<p class="hint">Métriques détaillées (débit, latences p50/p99) : <a href="/metrics">/metrics</a> ; état de service : <a href="/ready">/ready</a>.</p>`, s, '/console',
      o.chartLibrary ? '<link rel="stylesheet" href="/console/assets/uplot.css"><script src="/console/assets/uplot.js" defer></script><script src="/console/assets/charts.js" defer></script>' : ''));
  });

  /** The last three hours, per hour, as a table (what the charts draw, readable without JavaScript). */
  const historySection = (h: any) => {
    if (!h?.p50) return '';
    const flows = Object.keys(h.flows ?? {});
    const rows: string[] = [];
    for (let from = 0; from < h.p50.length; from += 60) {
      const to = Math.min(h.p50.length, from + 60);
      const sum = (xs: number[]) => xs.slice(from, to).reduce((a, b) => a + b, 0);
      const worst = (xs: (number | null)[]) => xs.slice(from, to).reduce<number | null>((a, b) => (b === null ? a : a === null ? b : Math.max(a, b)), null);
      const at = FR_DATE.format(new Date((h.start + from * h.step) * 1000));
      rows.push(`<tr><th scope="row">${esc(at)}</th>${flows.map((f) => `<td>${num(sum(h.flows[f]))}</td>`).join('')}<td>${worst(h.p50) === null ? '—' : `${num(worst(h.p50))} ms`}</td><td>${worst(h.p99) === null ? '—' : `${num(worst(h.p99))} ms`}</td></tr>`);
    }
    const label = (f: string) => ({ 'legacy→mssante': 'LNP → MSSanté', 'mssante→legacy': 'MSSanté → LNP' } as Record<string, string>)[f] ?? f;
    return `<section aria-labelledby="hist"><h2 id="hist">Débit et latence (3 dernières heures, ce nœud)</h2>
${o.chartLibrary ? '<div id="chart-flow" class="chart" role="img" aria-label="Messages remis par minute, par sens"></div><div id="chart-latency" class="chart" role="img" aria-label="Latence de remise p50 et p99 par minute"></div>' : ''}
<table><caption>Par heure : messages remis par sens, pire latence p50 et p99 d'une minute</caption><thead><tr><th scope="col">Depuis</th>${flows.map((f) => `<th scope="col">${esc(label(f))}</th>`).join('')}<th scope="col">p50</th><th scope="col">p99</th></tr></thead>
<tbody>${flows.length ? rows.join('') : '<tr><td colspan="3">aucune remise depuis le démarrage</td></tr>'}</tbody></table></section>`;
  };
  app.get('/console/history.json', async (c) => {
    const s = session(c);
    if (!s) return c.json({ error: 'no session' }, 401);
    c.header('Cache-Control', 'no-store');
    return c.json((await api(s, '/api/stats/history?minutes=180')).body);
  });

  const STATES = ['received', 'processing', 'queued', 'delivered', 'failed', 'quarantined', 'dropped'];
  const messageRows = (list: any[], select = false) => list.map((m) => `<tr>
${select ? `<td><input type="checkbox" name="ids" value="${esc(m.id)}" id="sel-${esc(m.id)}" aria-label="Sélectionner ${esc(m.id)}"></td>` : ''}
<td><a href="/console/messages/${encodeURIComponent(m.id)}">${esc(m.id)}</a></td><td>${date(m.receivedAt)}</td><td>${esc(NETWORK_FR[m.source] ?? m.source)}</td>
<td>${esc(fr(m.state))}</td><td>${esc(m.stage ?? '')}</td><td>${esc(m.reason ?? m.reply ?? '')}</td></tr>`).join('');
  const TABLE_HEAD = (select = false) => `<thead><tr>${select ? '<th scope="col">Choix</th>' : ''}<th scope="col">Identifiant</th><th scope="col">Reçu le</th><th scope="col">Origine</th><th scope="col">État</th><th scope="col">Étape</th><th scope="col">Motif</th></tr></thead>`;

  app.get('/console/messages', async (c) => {
    const s = session(c)!;
    const state = c.req.query('state') ?? '';
    const source = c.req.query('source') ?? '';
    const before = c.req.query('before') ?? '';
    const params = new URLSearchParams({ limit: '50' });
    if (STATES.includes(state)) params.set('state', state);
    if (source === 'legacy' || source === 'national') params.set('source', source);
    if (/^[A-Za-z0-9_-]{1,64}$/.test(before)) params.set('before', before);
    const r = await api(s, `/api/messages?${params}`);
    const list = r.body?.messages ?? [];
    const opt = (v: string, label: string, cur: string) => `<option value="${v}"${v === cur ? ' selected' : ''}>${label}</option>`;
    const nextLink = r.body?.next ? `<p><a href="/console/messages?${new URLSearchParams({ ...(params.has('state') ? { state } : {}), ...(params.has('source') ? { source } : {}), before: r.body.next })}">Messages plus anciens</a></p>` : '';
    return page(c, layout('Messages', `
<form method="get" action="/console/messages" class="filters" role="search" aria-label="Filtrer les messages">
<label for="state">État</label><select id="state" name="state">${opt('', 'tous', state)}${STATES.map((x) => opt(x, fr(x), state)).join('')}</select>
<label for="source">Origine</label><select id="source" name="source">${opt('', 'toutes', source)}${opt('legacy', NETWORK_FR['legacy']!, source)}${opt('national', NETWORK_FR['national']!, source)}</select>
<button type="submit">Filtrer</button></form>
<table><caption>${num(list.length)} message(s), les plus récents d'abord</caption>${TABLE_HEAD()}<tbody>${messageRows(list) || '<tr><td colspan="6">Aucun message.</td></tr>'}</tbody></table>${nextLink}`, s, '/console/messages'));
  });

  const tracePage = async (c: Context, s: Session, id: string, reveal: boolean, notice?: string) => {
    const r = await api(s, `/api/messages/${encodeURIComponent(id)}${reveal ? '?reveal=true' : ''}`);
    if (r.status === 404) return page(c, layout('Message introuvable', `<p>Aucun message ${esc(id)}.</p>`, s), 404);
    const t = r.body;
    const m = t.message;
    const h = t.headers;
    const actions = s.role === 'operator' ? `<div class="actions">
${m.state === 'quarantined' ? `<form method="post" action="/console/messages/${encodeURIComponent(id)}/release">${csrfField(s)}<button type="submit">Libérer</button></form>
<form method="post" action="/console/messages/${encodeURIComponent(id)}/drop">${csrfField(s)}<button type="submit" class="danger">Supprimer</button></form>` : ''}
<form method="post" action="/console/messages/${encodeURIComponent(id)}/retry">${csrfField(s)}<button type="submit">Réessayer maintenant</button></form></div>` : '<p class="hint">Rôle lecteur : consultation seule.</p>';
    return page(c, layout(`Message ${id}`, `
${notice ? `<p role="status" class="notice">${esc(notice)}</p>` : ''}
<dl class="facts"><dt>État</dt><dd>${esc(fr(m.state))}</dd><dt>Origine</dt><dd>${esc(NETWORK_FR[m.source] ?? m.source)}</dd><dt>Reçu le</dt><dd>${date(m.receivedAt)}</dd>
<dt>Taille</dt><dd>${num(m.size)} octets</dd><dt>Motif</dt><dd>${esc(m.reason ?? '—')}</dd>
<dt>Objet</dt><dd>${h?.subject === '[masked]' ? '<em>masqué</em>' : esc(h?.subject ?? '—')}</dd><dt>De</dt><dd>${esc(h?.from ?? '—')}</dd><dt>À</dt><dd>${esc(h?.to ?? '—')}</dd></dl>
${h && !reveal ? `<form method="post" action="/console/messages/${encodeURIComponent(id)}/reveal">${csrfField(s)}<button type="submit">Révéler l'objet et les noms (consigné dans la trace)</button></form>` : ''}
${actions}
<h2>Remises</h2><table><caption>Une ligne par destinataire</caption><thead><tr><th scope="col">Destinataire</th><th scope="col">Réseau</th><th scope="col">État</th><th scope="col">Tentatives</th><th scope="col">Prochaine tentative</th><th scope="col">Dernière erreur</th></tr></thead><tbody>
${t.deliveries.map((d: any) => `<tr><td>${esc(d.targetAddress ?? d.recipient)}</td><td>${esc(NETWORK_FR[d.targetNetwork] ?? d.targetNetwork ?? '')}</td><td>${esc(fr(d.state))}</td><td>${num(d.attempts)}</td><td>${date(d.nextAttemptAt)}</td><td>${esc(d.lastError ?? '')}</td></tr>`).join('') || '<tr><td colspan="6">Aucune remise.</td></tr>'}</tbody></table>
<h2>Chronologie</h2><ol class="timeline">${t.events.map((e: any) => `<li class="${esc(e.level)}"><time datetime="${esc(e.at)}">${date(e.at)}</time> <strong>${esc(e.stage)}</strong> ${esc(e.detail)}</li>`).join('')}</ol>`, s, '/console/messages'));
  };

  app.get('/console/messages/:id', async (c) => tracePage(c, session(c)!, c.req.param('id'), false));
  app.post('/console/messages/:id/:verb', async (c) => {
    const s = session(c)!;
    const form = await checkedForm(c, s);
    if (!form) return refused(c, s, 'Jeton anti-falsification (CSRF) absent ou invalide.');
    const id = c.req.param('id');
    const verb = c.req.param('verb');
    if (verb === 'reveal') return tracePage(c, s, id, true);
    if (verb !== 'release' && verb !== 'drop' && verb !== 'retry') return refused(c, s, 'Action inconnue.', 400);
    const r = await api(s, `/api/messages/${encodeURIComponent(id)}/${verb}`, { method: 'POST' });
    if (r.status === 403) return refused(c, s, 'Votre rôle (lecteur) ne permet pas cette action.');
    const label = { release: 'Libération', drop: 'Suppression', retry: 'Nouvelle tentative' }[verb];
    return tracePage(c, s, id, false, `${label} : ${r.body?.done ? 'faite' : 'non faite'} (${r.body?.detail ?? r.body?.error?.message ?? ''})`);
  });

  app.get('/console/quarantine', async (c) => {
    const s = session(c)!;
    const r = await api(s, '/api/quarantine?limit=200');
    const list: any[] = r.body?.messages ?? [];
    const groups = new Map<string, any[]>();
    for (const m of list) {
      const k = `${m.stage ?? '?'} — ${m.reply ?? m.reason ?? ''}`;
      groups.set(k, [...(groups.get(k) ?? []), m]);
    }
    const operator = s.role === 'operator';
    const body = groups.size === 0 ? '<p>Aucun message en quarantaine.</p>' : [...groups].map(([k, ms], i) => `
<section aria-labelledby="g${i}"><h2 id="g${i}">${esc(k)} <span class="count">(${num(ms.length)})</span></h2>
${operator ? `<form method="post" action="/console/quarantine/confirm">${csrfField(s)}` : ''}
<table><caption>Motif : ${esc(k)}</caption>${TABLE_HEAD(operator)}<tbody>${messageRows(ms, operator)}</tbody></table>
${operator ? `<div class="actions"><button type="submit" name="verb" value="release">Libérer la sélection</button> <button type="submit" name="verb" value="drop" class="danger">Supprimer la sélection</button></div></form>` : ''}
</section>`).join('');
    return page(c, layout('Quarantaine', `${operator ? '' : '<p class="hint">Rôle lecteur : consultation seule.</p>'}${body}`, s, '/console/quarantine'));
  });

  /** Bulk actions: a confirmation page first (no script), then the change. */
  app.post('/console/quarantine/:step', async (c) => {
    const s = session(c)!;
    const form = await checkedForm(c, s);
    if (!form) return refused(c, s, 'Jeton anti-falsification (CSRF) absent ou invalide.');
    if (s.role !== 'operator') return refused(c, s, 'Votre rôle (lecteur) ne permet pas cette action.');
    const verb = form['verb'] === 'drop' ? 'drop' : form['verb'] === 'release' ? 'release' : null;
    const ids = ([] as unknown[]).concat(form['ids'] ?? []).filter((x): x is string => typeof x === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(x));
    if (!verb || ids.length === 0) return refused(c, s, 'Sélectionnez au moins un message.', 400);
    const label = verb === 'release' ? 'Libérer' : 'Supprimer';
    if (c.req.param('step') === 'confirm') {
      return page(c, layout('Confirmation', `<p>${label} ${num(ids.length)} message(s) ?${verb === 'drop' ? ' Leur contenu sera effacé (la trace est conservée).' : ''}</p>
<ul>${ids.map((id) => `<li>${esc(id)}</li>`).join('')}</ul>
<form method="post" action="/console/quarantine/apply">${csrfField(s)}<input type="hidden" name="verb" value="${verb}">${ids.map((id) => `<input type="hidden" name="ids" value="${esc(id)}">`).join('')}
<button type="submit"${verb === 'drop' ? ' class="danger"' : ''}>Confirmer : ${label.toLowerCase()}</button> <a href="/console/quarantine">Annuler</a></form>`, s, '/console/quarantine'));
    }
    const r = await api(s, `/api/quarantine/${verb}`, { method: 'POST', body: { ids } });
    if (r.status === 403) return refused(c, s, 'Votre rôle (lecteur) ne permet pas cette action.');
    const done: string[] = r.body?.done ?? [];
    const skipped: { id: string; reason: string }[] = r.body?.skipped ?? [];
    return page(c, layout('Résultat', `<p role="status" class="notice">${verb === 'release' ? 'Libéré(s)' : 'Supprimé(s)'} : ${num(done.length)} ; non traité(s) : ${num(skipped.length)}.</p>
<ul>${done.map((id) => `<li><a href="/console/messages/${encodeURIComponent(id)}">${esc(id)}</a> : fait</li>`).join('')}${skipped.map((x) => `<li>${esc(x.id)} : ${esc(x.reason)}</li>`).join('')}</ul>
<p><a href="/console/quarantine">Retour à la quarantaine</a></p>`, s, '/console/quarantine'));
  });

  /** The address book (the admin API's `/api/directory`): last imports, search, resolve, upload. */
  const directoryPage = async (c: Context, s: Session, result = '') => {
    const st = await api(s, '/api/directory/stats');
    if (st.status === 404) return page(c, layout('Annuaire', '<p>L\'annuaire n\'est pas servi par ce nœud.</p>', s, '/console/directory'));
    const imports: Record<string, unknown>[] = (st.body?.imports ?? []).slice(-10).reverse();
    const cols = ['run', 'source', 'fileName', 'finishedAt', 'inserted', 'updated', 'removed', 'rejected'];
    const COL_FR: Record<string, string> = { run: 'Import', source: 'Source', fileName: 'Fichier', finishedAt: 'Terminé le', inserted: 'Ajoutés', updated: 'Modifiés', removed: 'Retirés', rejected: 'Refusés' };
    const cell = (k: string, v: unknown) => (typeof v === 'number' && k !== 'run' ? num(v) : k.endsWith('At') && typeof v === 'string' ? date(v) : esc(v ?? '—'));
    const mailboxes = Object.entries(st.body?.mailboxes ?? {}).map(([net, counts]) => `<tr><th scope="row">${esc(NETWORK_FR[net] ?? net)}</th><td>${num((counts as Record<string, number>)['total'])}</td></tr>`).join('');
    const upload = s.role === 'operator' ? `<h2>Importer une extraction</h2>
<form method="post" action="/console/directory/upload" enctype="multipart/form-data" id="upload-form">${csrfField(s)}
<label for="dsource">Source</label> <select id="dsource" name="source"><option value="national">Annuaire national (extraction)</option><option value="legacy">Annuaire LNP (CSV)</option></select>
<label for="dfile">Fichier</label> <input id="dfile" name="file" type="file" required> <button type="submit">Importer</button>
<p><progress id="upload-progress" max="100" value="0" hidden aria-label="Progression de l'envoi"></progress> <span id="upload-status" role="status"></span></p></form>` : '';
    return page(c, layout('Annuaire', `${result}
<h2>Boîtes aux lettres par réseau</h2><table><caption>Total par réseau</caption><tbody>${mailboxes || '<tr><td colspan="2">aucune</td></tr>'}</tbody></table>
<h2>Derniers imports</h2><table><caption>Les dix derniers, le plus récent d'abord</caption><thead><tr>${cols.map((k) => `<th scope="col">${COL_FR[k]}</th>`).join('')}</tr></thead><tbody>
${imports.map((r) => `<tr>${cols.map((k) => `<td>${cell(k, r[k])}</td>`).join('')}</tr>`).join('') || `<tr><td colspan="${cols.length}">Aucun import.</td></tr>`}</tbody></table>
<h2>Rechercher, résoudre une adresse</h2>
<form method="post" action="/console/directory/search">${csrfField(s)}<label for="dq">Nom, identifiant ou adresse</label> <input id="dq" name="q" required> <button type="submit">Rechercher</button></form>
<form method="post" action="/console/directory/resolve">${csrfField(s)}<label for="daddr">Adresse (LNP ou MSSanté)</label> <input id="daddr" name="address" type="email" required> <button type="submit">Résoudre</button></form>
${upload}`, s, '/console/directory', s.role === 'operator' ? '<script src="/console/assets/upload.js" defer></script>' : ''));
  };
  app.get('/console/directory', async (c) => directoryPage(c, session(c)!));
  // Searches are POSTs so that names stay out of URLs and logs.
  app.post('/console/directory/:verb', async (c) => {
    const s = session(c)!;
    const form = await checkedForm(c, s);
    if (!form) return refused(c, s, 'Jeton anti-falsification (CSRF) absent ou invalide.');
    const verb = c.req.param('verb');
    if (verb === 'search') {
      const r = await api(s, `/api/directory/search?${new URLSearchParams({ q: String(form['q'] ?? ''), limit: '50' })}`);
      const rows = (r.body?.entries ?? []).flatMap((e: any) => e.mailboxes.map((m: any) => `<tr><td>${esc(e.name)}</td><td>${esc(e.partyKey ?? '—')}</td><td>${esc(NETWORK_FR[m.network] ?? m.network)}</td><td>${esc(m.address)}</td><td>${esc(m.alias ?? '—')}</td><td>${esc(m.status)}</td></tr>`)).join('');
      return directoryPage(c, s, `<section aria-labelledby="res"><h2 id="res">Résultats</h2><table><caption>${num((r.body?.entries ?? []).length)} entrée(s)</caption><thead><tr><th scope="col">Nom</th><th scope="col">Identifiant</th><th scope="col">Réseau</th><th scope="col">Adresse</th><th scope="col">Alias sur l'autre réseau</th><th scope="col">Statut</th></tr></thead><tbody>${rows || '<tr><td colspan="6">Aucun résultat.</td></tr>'}</tbody></table></section>`);
    }
    if (verb === 'resolve') {
      const r = await api(s, `/api/directory/resolve?${new URLSearchParams({ address: String(form['address'] ?? '') })}`);
      const body = r.status === 200
        ? `<dl class="facts">${Object.entries(r.body ?? {}).map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(typeof v === 'object' ? JSON.stringify(v) : v)}</dd>`).join('')}</dl>`
        : '<p>Adresse non servie par la passerelle.</p>';
      return directoryPage(c, s, `<section aria-labelledby="res"><h2 id="res">Résolution</h2>${body}</section>`);
    }
    if (verb === 'upload') {
      if (s.role !== 'operator') return refused(c, s, 'Votre rôle (lecteur) ne permet pas cette action.');
      const file = form['file'];
      const source = form['source'] === 'legacy' ? 'legacy' : 'national';
      if (!(file instanceof File)) return refused(c, s, 'Choisissez un fichier.', 400);
      const r = await api(s, `/api/directory/sync/${source}?${new URLSearchParams({ fileName: file.name })}`, { method: 'POST', bytes: await file.arrayBuffer() });
      if (r.status !== 200) return directoryPage(c, s, `<p role="alert" class="error">Import refusé : ${esc(typeof r.body?.error === 'string' ? r.body.error : r.body?.error?.message ?? r.status)}</p>`);
      const x = r.body;
      return directoryPage(c, s, `<p role="status" class="notice">Import n° ${esc(x.run)} (${esc(file.name)}) : ${num(x.lines)} lignes lues, ${num(x.inserted)} ajoutées, ${num(x.updated)} modifiées, ${num(x.removed)} retirées, ${num(x.rejected)} refusées.</p>`);
    }
    return refused(c, s, 'Action inconnue.', 400);
  });

  /** Days before an expiry that the trust page flags (policy as data). */
  const EXPIRY_WARNING_DAYS = 30;
  const trustPage = (c: Context, s: Session, t: any, notice = '') => {
    const tl = t?.trustList;
    const days = (n: number) => `${num(n)} jour${Math.abs(n) > 1 ? 's' : ''}`;
    const until = (iso: string) => Math.floor((Date.parse(iso) - now()) / 86_400_000);
    const flag = (d: number) => (d < 0 ? '<strong class="error">expiré</strong>' : d <= EXPIRY_WARNING_DAYS ? `<strong class="warning">expire dans ${days(d)}</strong>` : `dans ${days(d)}`);
    const listHtml = tl ? `<dl class="kpi"><div><dt>Domaines de confiance</dt><dd>${num(tl.domains)}</dd></div>
<div><dt>Générée le</dt><dd>${tl.generatedAt && !Number.isNaN(Date.parse(tl.generatedAt)) ? date(tl.generatedAt) : esc(tl.generatedAt ?? '—')}</dd></div>
<div><dt>Chargée il y a</dt><dd>${tl.ageSeconds === null ? '—' : tl.ageSeconds < 3600 ? `${num(Math.round(tl.ageSeconds / 60))} min` : `${num(Math.round(tl.ageSeconds / 360) / 10)} h`}</dd></div>
<div><dt>Dernier rafraîchissement</dt><dd>${tl.refreshFailing ? '<strong class="error">en échec (la dernière copie valide reste en usage)</strong>' : 'réussi'}</dd></div></dl>
<table><caption>Entrées de la liste de confiance</caption><thead><tr><th scope="col">Domaine</th><th scope="col">Opérateur</th><th scope="col">Description</th><th scope="col">Mise à jour</th></tr></thead><tbody>
${(tl.entries ?? []).map((e: any) => `<tr><td>${esc(e.domain)}</td><td>${esc(e.operator)}</td><td>${esc(e.description)}</td><td>${esc(e.updated ?? '—')}</td></tr>`).join('') || '<tr><td colspan="4">aucune</td></tr>'}</tbody></table>`
      : '<p>Aucune liste de confiance : la passerelle ne dessert pas l\'espace national.</p>';
    const certs = (t?.certificates ?? []).map((x: any) => `<tr><td>${x.role === 'gateway' ? 'Certificat de la passerelle' : 'Autorité de confiance'}</td><td>${esc(x.name)}</td><td>${date(x.notBefore)}</td><td>${date(x.notAfter)}</td><td>${flag(x.daysToExpiry)}</td></tr>`).join('');
    const crlDue = (d: number) => (d < 0 ? '<strong class="error">en retard : la CRL n\'est plus à jour</strong>' : `dans ${days(d)}`);
    const crls = (t?.crls ?? []).map((x: any) => `<tr><td>${date(x.nextUpdate)}</td><td>${crlDue(until(x.nextUpdate))}</td></tr>`).join('');
    const refresh = s.role === 'operator' ? `<form method="post" action="/console/trust/refresh">${csrfField(s)}
<p><input type="checkbox" name="confirm" value="1" id="confirm-refresh" required> <label for="confirm-refresh">Je confirme le rechargement de la liste de confiance</label></p>
<button type="submit">Rafraîchir maintenant</button></form>` : '<p class="hint">Le rafraîchissement est réservé aux opérateurs.</p>';
    return page(c, layout('Confiance et certificats', `${notice}
<section aria-labelledby="tl"><h2 id="tl">Liste de confiance MSSanté</h2>${listHtml}${refresh}</section>
<section aria-labelledby="certs"><h2 id="certs">Certificats</h2><table><caption>Certificats en usage (alerte ${num(EXPIRY_WARNING_DAYS)} jours avant l'expiration)</caption>
<thead><tr><th scope="col">Rôle</th><th scope="col">Sujet</th><th scope="col">Valide depuis</th><th scope="col">Expire le</th><th scope="col">Échéance</th></tr></thead>
<tbody>${certs || '<tr><td colspan="5">aucun</td></tr>'}</tbody></table></section>
<section aria-labelledby="crls"><h2 id="crls">Listes de révocation (CRL)</h2><table><caption>Prochaine mise à jour de chaque CRL</caption>
<thead><tr><th scope="col">Prochaine mise à jour</th><th scope="col">Échéance</th></tr></thead><tbody>${crls || '<tr><td colspan="2">aucune</td></tr>'}</tbody></table></section>`, s, '/console/trust'));
  };
  app.get('/console/trust', async (c) => {
    const s = session(c)!;
    return trustPage(c, s, (await api(s, '/api/trust')).body);
  });
  app.post('/console/trust/refresh', async (c) => {
    const s = session(c);
    if (!s) return c.redirect('/console/login', 303);
    const form = await checkedForm(c, s);
    if (!form) return refused(c, s, 'Requête refusée (jeton CSRF ou origine invalide).');
    if (form['confirm'] !== '1') return refused(c, s, 'Confirmez le rafraîchissement.', 400);
    const r = await api(s, '/api/trust/refresh', { method: 'POST' });
    if (r.status === 403) return refused(c, s, 'Action réservée aux opérateurs.');
    const failing = r.body?.trustList?.refreshFailing;
    return trustPage(c, s, r.body, `<p role="status" class="${failing ? 'error' : 'notice'}">${failing ? 'Le rafraîchissement a échoué : la dernière copie valide reste en usage.' : 'Liste de confiance rechargée.'}</p>`);
  });

  app.get('/console/settings', async (c) => {
    const s = session(c)!;
    const r = await api(s, '/api/config');
    return page(c, layout('Paramètres', `<p class="hint">Configuration en vigueur, en lecture seule ; les secrets sont masqués.</p>
<pre tabindex="0" aria-label="Configuration">${esc(JSON.stringify(r.body ?? {}, null, 2))}</pre>`, s, '/console/settings'));
  });

  return app;
}
