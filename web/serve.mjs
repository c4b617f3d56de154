// Serves the built app (dist/web/browser) on http://localhost:4200, index.html for any
// path that is not a file (client-side routes), and /config.json made from the
// environment, as `.env` names things, so one build serves any tenant. Every answer
// carries a strict Content-Security-Policy (scripts from this origin only; connections
// to this origin, the API and the issuer only; no framing, no plugins, no <base>), so a
// script injected into a page cannot run and read the tokens the app keeps.
//
//   domain    AUTH0_ISSUER without its trailing slash (the dev issuer), else AUTH0_DOMAIN
//   clientId  WEB_AUTH0_CLIENT_ID, else DEV_ISSUER_SPA_CLIENT_ID, else dev-spa
//   audience  AUTH0_AUDIENCE
//   apiUrl    WEB_API_URL, else http://localhost:$PORT (8000)
//   useDpop   WEB_USE_DPOP (true unless `false`): DPoP-bound tokens with proofs
//
//   node web/serve.mjs [--port 4200] [--host 127.0.0.1]
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '4200' },
    host: { type: 'string', default: '127.0.0.1' },
    root: { type: 'string', default: path.join(path.dirname(fileURLToPath(import.meta.url)), 'dist/web/browser') },
  },
});
const root = path.resolve(values.root);
const env = (name) => process.env[name]?.trim() || undefined;
const settings = {
  domain: env('AUTH0_ISSUER')?.replace(/\/+$/, '') ?? env('AUTH0_DOMAIN'),
  clientId: env('WEB_AUTH0_CLIENT_ID') ?? env('DEV_ISSUER_SPA_CLIENT_ID') ?? 'dev-spa',
  audience: env('AUTH0_AUDIENCE') ?? env('API_IDENTIFIER'),
  apiUrl: env('WEB_API_URL') ?? `http://localhost:${env('PORT') ?? '8000'}`,
  useDpop: env('WEB_USE_DPOP') !== 'false',
};
const config = JSON.stringify(settings);

/** The origin of `url`; a bare domain (AUTH0_DOMAIN) is https. */
function originOf(url) {
  if (!url) return undefined;
  try {
    return new URL(/^[a-z]+:\/\//i.test(url) ? url : `https://${url}`).origin;
  } catch {
    return undefined;
  }
}
// The API and the issuer (the dev issuer or the Auth0 tenant) are the only other origins
// the app talks to.
const peers = [originOf(settings.apiUrl), originOf(settings.domain)].filter(Boolean).join(' ');
/** The policy of one answer; `nonce` lets Angular's own component <style>s in. */
const contentSecurityPolicy = (nonce) => [
  "default-src 'self'",
  "script-src 'self'",
  `style-src 'self' 'nonce-${nonce}'`,
  "img-src 'self' data:",
  "font-src 'self'",
  `connect-src 'self' ${peers}`,
  `frame-src ${peers || "'none'"}`,
  "frame-ancestors 'none'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
].join('; ');
/** Headers every answer carries. */
function securityHeaders(nonce) {
  return {
    'Content-Security-Policy': contentSecurityPolicy(nonce),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
  };
}
// Angular's output hashing names bundles like main-ABCD1234.js: only those can be cached
// for good; index.html, favicon.ico and config.json must be revalidated.
const HASHED = /-[A-Z0-9]{8}\.(js|css|mjs)$/;
const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.json': 'application/json', '.ico': 'image/x-icon',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.txt': 'text/plain; charset=utf-8',
};

async function fileFor(urlPath) {
  const candidate = path.resolve(root, `.${decodeURIComponent(urlPath)}`);
  if (candidate.startsWith(root + path.sep)) {
    const info = await stat(candidate).catch(() => null);
    if (info?.isFile()) return candidate;
  }
  return path.join(root, 'index.html');
}

const server = http.createServer(async (req, res) => {
  const { pathname } = new URL(req.url ?? '/', 'http://localhost');
  const nonce = randomBytes(16).toString('base64');
  const headers = securityHeaders(nonce);
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { ...headers, Allow: 'GET, HEAD' }).end();
    return;
  }
  if (pathname === '/config.json') {
    res.writeHead(200, { ...headers, 'Content-Type': 'application/json', 'Cache-Control': 'no-store' }).end(config);
    return;
  }
  try {
    const file = await fileFor(pathname);
    const type = TYPES[path.extname(file)] ?? 'application/octet-stream';
    if (file === path.join(root, 'index.html')) {
      // Angular adds its component styles with this answer's nonce (ngCspNonce).
      const page = (await readFile(file, 'utf8')).replace('<app-root', `<app-root ngCspNonce="${nonce}"`);
      res.writeHead(200, { ...headers, 'Content-Type': type, 'Cache-Control': 'no-cache' });
      res.end(req.method === 'HEAD' ? undefined : page);
      return;
    }
    const cache = HASHED.test(file) ? 'public, max-age=31536000, immutable' : 'no-cache';
    res.writeHead(200, { ...headers, 'Content-Type': type, 'Cache-Control': cache });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  } catch {
    res.writeHead(404, headers).end();
  }
});
server.listen(Number(values.port), values.host, () => {
  console.error(`[web] serving ${root} on ${values.host}:${values.port} with config.json ${config}`);
});
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.close(() => process.exit(0)));
