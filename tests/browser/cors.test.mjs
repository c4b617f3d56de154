// A real browser against the running stack (scripts/e2e starts it): a page served from
// http://localhost:4200, like the Angular dev server, fetches a token from the dev issuer
// and calls the API with it; a page from another origin is refused by CORS.
//
// Driven by playwright-core with Debian's chromium (no browser download is possible here).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import { after, before, test } from 'node:test';
import { chromium } from 'playwright-core';

const API = process.env.API_URL ?? 'http://127.0.0.1:8000';
const ISSUER = process.env.ISSUER_URL ?? 'http://127.0.0.1:8001/';
const AUDIENCE = process.env.AUDIENCE ?? 'https://todo-api';
// This checkout's own (scripts/e2e exports it from .env).
const CLIENT_SECRET = process.env.DEV_ISSUER_CLIENT_SECRET;
const ALLOWED_PORT = 4200;
const OTHER_PORT = 4300;

const servers = [];
let browser;

/** An empty page on localhost:PORT (both loopback families, as `localhost` may be either). */
async function servePage(port) {
  for (const host of ['127.0.0.1', '::1']) {
    const server = http.createServer((_, response) => {
      response.writeHead(200, { 'Content-Type': 'text/html' });
      response.end('<!doctype html><title>todo-api CORS check</title>');
    });
    await new Promise((resolve) => {
      server.once('error', resolve); // ::1 may be unavailable: 127.0.0.1 suffices then
      server.listen(port, host, resolve);
    });
    servers.push(server);
  }
}

before(async () => {
  await servePage(ALLOWED_PORT);
  await servePage(OTHER_PORT);
  const executablePath = execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim();
  browser = await chromium.launch({
    executablePath,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
});

after(async () => {
  await browser?.close();
  for (const server of servers) server.close();
});

/** Runs the Angular app's calls inside a page of `origin`. */
async function callApiFrom(origin) {
  const page = await browser.newPage();
  try {
    await page.goto(`${origin}/`);
    return await page.evaluate(async ({ api, issuer, audience, secret }) => {
      const outcome = {};
      try {
        const tokenResponse = await fetch(`${issuer}oauth/token`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({
            client_id: 'dev-client', client_secret: secret, audience,
            grant_type: 'client_credentials', sub: 'auth0|browser',
          }),
        }).catch((error) => {
          outcome.tokenError = String(error);
          throw error;
        });
        const { access_token: token } = await tokenResponse.json();
        const auth = { Authorization: `Bearer ${token}` };
        const created = await fetch(`${api}/api/task/`, {
          method: 'POST',
          headers: { ...auth, 'Content-Type': 'application/json' },
          body: JSON.stringify({ title: 'From the browser', content: 'via CORS' }),
        });
        outcome.created = { status: created.status, body: await created.json(), location: created.headers.get('Location') };
        const listed = await fetch(`${api}/api/task/`, { headers: auth });
        outcome.listed = { status: listed.status, body: await listed.json() };
        const anonymous = await fetch(`${api}/api/task/`);
        outcome.anonymous = { status: anonymous.status, body: await anonymous.json() };
      } catch (error) {
        outcome.error = String(error);
      }
      return outcome;
    }, { api: API, issuer: ISSUER, audience: AUDIENCE, secret: CLIENT_SECRET });
  } finally {
    await page.close();
  }
}

test('the Angular origin can call the API with a bearer token and read every answer', async () => {
  const outcome = await callApiFrom(`http://localhost:${ALLOWED_PORT}`);
  assert.equal(outcome.error, undefined);
  assert.equal(outcome.created.status, 201);
  assert.equal(outcome.created.body.title, 'From the browser');
  assert.equal(outcome.created.location, `/api/task/${outcome.created.body.id}/`);
  assert.equal(outcome.listed.status, 200);
  assert.ok(outcome.listed.body.some((task) => task.id === outcome.created.body.id));
  // Errors are readable too, so the app can show them.
  assert.equal(outcome.anonymous.status, 401);
  assert.deepEqual(outcome.anonymous.body, { detail: 'Authentication credentials were not provided.' });
});

test('a page from another origin can neither mint a token at the dev issuer nor call the API', async () => {
  assert.ok(CLIENT_SECRET, 'DEV_ISSUER_CLIENT_SECRET is set');
  const outcome = await callApiFrom(`http://localhost:${OTHER_PORT}`);
  // The dev issuer gives CORS headers to the app's origin only: the page cannot read a token.
  assert.match(outcome.tokenError ?? '', /Failed to fetch/);
  assert.equal(outcome.created, undefined);
});
