// Serves the built app (dist/web/browser) on http://localhost:4200, index.html for any
// path that is not a file (client-side routes), and /config.json made from the
// environment, as `.env` names things, so one build serves any tenant:
//
//   domain    AUTH0_ISSUER without its trailing slash (the dev issuer), else AUTH0_DOMAIN
//   clientId  WEB_AUTH0_CLIENT_ID, else DEV_ISSUER_SPA_CLIENT_ID, else dev-spa
//   audience  AUTH0_AUDIENCE
//   apiUrl    WEB_API_URL, else http://localhost:$PORT (8000)
//
//   node web/serve.mjs [--port 4200] [--host 127.0.0.1]
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
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
const config = JSON.stringify({
  domain: env('AUTH0_ISSUER')?.replace(/\/+$/, '') ?? env('AUTH0_DOMAIN'),
  clientId: env('WEB_AUTH0_CLIENT_ID') ?? env('DEV_ISSUER_SPA_CLIENT_ID') ?? 'dev-spa',
  audience: env('AUTH0_AUDIENCE') ?? env('API_IDENTIFIER'),
  apiUrl: env('WEB_API_URL') ?? `http://localhost:${env('PORT') ?? '8000'}`,
});
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
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { Allow: 'GET, HEAD' }).end();
    return;
  }
  if (pathname === '/config.json') {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' }).end(config);
    return;
  }
  try {
    const file = await fileFor(pathname);
    const type = TYPES[path.extname(file)] ?? 'application/octet-stream';
    // Hashed bundles may be cached; index.html must not, so a new build shows at once.
    const cache = file.endsWith('index.html') ? 'no-cache' : 'public, max-age=31536000, immutable';
    res.writeHead(200, { 'Content-Type': type, 'Cache-Control': cache, 'X-Content-Type-Options': 'nosniff' });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  } catch {
    res.writeHead(404).end();
  }
});
server.listen(Number(values.port), values.host, () => {
  console.error(`[web] serving ${root} on ${values.host}:${values.port} with config.json ${config}`);
});
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.close(() => process.exit(0)));
