/**
 * The admin API's reference page at `/docs`: Swagger UI (the `swagger-ui-dist` package,
 * served from this installation, no CDN: hospital networks are often closed) reading
 * `/openapi.json`. The page holds no data; calls made from it need a token (Authorize).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Hono } from 'hono';

const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
};

const PAGE = `<!doctype html>
<html lang="fr">
<head>
<meta charset="utf-8">
<title>Passerelle — API d'administration</title>
<link rel="stylesheet" href="/docs/swagger-ui.css">
</head>
<body>
<div id="ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script>
</body>
</html>
`;

const INIT = `window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#ui', deepLinking: true, persistAuthorization: false });\n`;

export function apiReference(): Hono {
  const dir = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
  const cache = new Map<string, string>();
  const app = new Hono();
  const secure = { 'Content-Security-Policy': "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'", 'X-Content-Type-Options': 'nosniff' };
  app.get('/docs', (c) => c.html(PAGE, 200, secure));
  app.get('/docs/init.js', (c) => c.body(INIT, 200, { ...secure, 'Content-Type': 'text/javascript; charset=utf-8' }));
  app.get('/docs/:asset', (c) => {
    const name = c.req.param('asset');
    const type = ASSETS[name];
    if (!type) return c.notFound();
    let body = cache.get(name);
    if (body === undefined) cache.set(name, (body = readFileSync(join(dir, name), 'utf8')));
    return c.body(body, 200, { ...secure, 'Content-Type': type, 'Cache-Control': 'public, max-age=86400' });
  });
  return app;
}
