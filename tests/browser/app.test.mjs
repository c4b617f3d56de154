// The tutorial's Angular app as a new user meets it, in Debian's headless chromium
// (playwright-core, no browser download): log in through the dev issuer's page, manage
// tasks, reload, log out; another user sees none of it; the app keeps working past the
// access token's expiry through the refresh token; the issuer's refusals. Tokens are
// DPoP-bound: every API call carries `Authorization: DPoP` and a proof, and a token taken
// out of the page is useless without the browser's key.
//
// Needs the stack of scripts/run with DEV_ISSUER_BROWSER_TOKEN_TTL_SECS short and both
// DPoP nonce modes on (scripts/e2e sets them). Writes .local/screenshots/task-list.png.
// tasks.test.mjs and accessibility.test.mjs cover the list's own behaviour.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { test } from 'node:test';

import { addTask, API, apiAnswer, apiAnswering, apiPath, APP, ISSUER, logIn, reload, RUN, SCREENSHOTS, taskRow, taskTitles, useBrowser, visit } from './session.mjs';

const AUDIENCE = process.env.AUDIENCE ?? 'https://todo-api';
const TOKEN_TTL_SECS = Number(process.env.BROWSER_TOKEN_TTL_SECS ?? 5);
/** Whether the API demands its DPoP nonce (AUTH0_DPOP_REQUIRE_NONCE). */
const API_NONCES = process.env.API_DPOP_REQUIRE_NONCE === 'true';

useBrowser();

const WORKOUT = `Workout ${RUN}`;
const GROCERIES = `Groceries ${RUN}`;
const LONG_RUN = `Long run ${RUN}`;

/** The SDK's stored access token (cacheLocation localstorage), as a script in the page could read it. */
const storedAccessToken = (page) =>
  page.evaluate(() => {
    for (let i = 0; i < localStorage.length; i++) {
      const key = localStorage.key(i);
      if (key.startsWith('@@auth0spajs@@') && !key.endsWith('@@user@@')) {
        return JSON.parse(localStorage.getItem(key)).body;
      }
    }
    return null;
  });

/** The DPoP key pairs the SDK keeps in IndexedDB, and whether their private keys are extractable. */
const storedDpopKeys = (page) =>
  page.evaluate(
    () =>
      new Promise((resolve, reject) => {
        const open = indexedDB.open('auth0-spa-js');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          if (!db.objectStoreNames.contains('keypair')) return resolve([]);
          const all = db.transaction('keypair').objectStore('keypair').getAll();
          all.onsuccess = () => resolve(all.result.map((pair) => ({ extractable: pair.privateKey.extractable })));
          all.onerror = () => reject(all.error);
        };
      }),
  );

/** A DPoP proof for `method url` carrying `token`'s hash, signed by a key of this test's own. */
async function foreignProof(method, url, token) {
  const keys = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
  const { kty, crv, x, y } = await crypto.subtle.exportKey('jwk', keys.publicKey);
  const b64 = (bytes) => Buffer.from(bytes).toString('base64url');
  const header = { typ: 'dpop+jwt', alg: 'ES256', jwk: { kty, crv, x, y } };
  const ath = b64(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token)));
  const claims = { htm: method, htu: url, iat: Math.floor(Date.now() / 1000), jti: crypto.randomUUID(), ath };
  const input = `${b64(JSON.stringify(header))}.${b64(JSON.stringify(claims))}`;
  const signature = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, keys.privateKey, new TextEncoder().encode(input));
  return `${input}.${b64(signature)}`;
}

test('alice logs in, manages her tasks, reloads, and logs out', async () => {
  const { context, page } = await visit();
  // Which requests carry the access token: the API's, and no other host's; and how.
  const sent = [];
  context.on('request', (request) => {
    const headers = request.headers();
    sent.push({ url: request.url(), authorization: headers.authorization ?? '', proof: headers.dpop ?? '' });
  });
  // The API's demands for its nonce, each answered by a retry with it.
  const nonceDemands = [];
  context.on('response', (response) => {
    if (response.url().startsWith(`${API}/`) && /use_dpop_nonce/.test(response.headers()['www-authenticate'] ?? '')) {
      nonceDemands.push(response.url());
    }
  });
  await page.getByText('Log in to see your tasks.').waitFor();
  await logIn(page, 'alice');
  assert.equal(await page.locator('.who').innerText(), 'alice');

  await addTask(page, WORKOUT, 'Run 5k');
  await taskRow(page, WORKOUT).waitFor();
  await addTask(page, GROCERIES, 'Milk and eggs');
  await taskRow(page, GROCERIES).waitFor();

  await taskRow(page, WORKOUT).getByRole('button', { name: `Edit '${WORKOUT}'` }).click();
  const dialog = page.getByRole('dialog', { name: 'Edit task' });
  await dialog.getByLabel('Title').fill(LONG_RUN);
  await dialog.getByLabel('Due date').fill('12/24/2026');
  await dialog.getByRole('button', { name: 'Save' }).click();
  await dialog.waitFor({ state: 'detached' });
  await taskRow(page, LONG_RUN).getByText('Due Dec 24, 2026').waitFor();

  // The delete goes out when its undo expires.
  const deleted = apiAnswer(page, 'DELETE', 20_000);
  await taskRow(page, GROCERIES).getByRole('button', { name: `Delete '${GROCERIES}'` }).click();
  await taskRow(page, GROCERIES).waitFor({ state: 'detached' });
  assert.equal((await deleted).status(), 204);

  await reload(page);
  await taskRow(page, LONG_RUN).waitFor();
  assert.deepEqual(await taskTitles(page), [LONG_RUN]);
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: `${SCREENSHOTS}/task-list.png`, fullPage: true });

  const toApi = sent.filter(({ url }) => url.startsWith(`${API}/`) && !url.endsWith('/healthz'));
  assert.ok(toApi.length > 0, 'the app called the API');
  for (const { url, authorization, proof } of toApi) {
    assert.match(authorization, /^DPoP [\w-]+\.[\w-]+\.[\w-]+$/, `${url}: Authorization: DPoP`);
    assert.match(proof, /^[\w-]+\.[\w-]+\.[\w-]+$/, `${url}: a DPoP proof`);
  }
  assert.equal(new Set(toApi.map(({ proof }) => proof)).size, toApi.length, 'a fresh proof for every request');
  const elsewhere = sent.filter(({ url, authorization }) => authorization && !url.startsWith(`${API}/`));
  assert.deepEqual(elsewhere, [], 'no other host gets the token');
  if (API_NONCES) {
    assert.ok(nonceDemands.length > 0, 'the API asked for its nonce and the app retried with it');
  }

  // The key is the SDK's, non-extractable; the token is bound to it.
  const keys = await storedDpopKeys(page);
  assert.ok(keys.length > 0 && keys.every(({ extractable }) => !extractable), JSON.stringify(keys));
  assert.equal((await storedAccessToken(page)).token_type, 'DPoP');

  await page.getByRole('link', { name: 'Profile' }).click();
  assert.equal(await page.locator('.name').innerText(), 'alice');
  assert.equal(await page.locator('.email').innerText(), 'alice@example.com');
  assert.equal(await page.locator('.username').innerText(), 'auth0.alice');

  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByText('Log in to see your tasks.').waitFor();
  assert.deepEqual(await storedDpopKeys(page), [], 'logging out forgets the DPoP key');
  await reload(page);
  await page.getByRole('button', { name: 'Log in', exact: true }).waitFor();
  // The issuer's session ended too: logging in shows its page again.
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
  await page.getByRole('button', { name: 'Log in as alice' }).waitFor();
  await context.close();
});

test('an access token taken out of the page is refused as Bearer and with another key\'s proof', async () => {
  const { context, page } = await visit();
  await logIn(page, 'alice');
  const { access_token: token } = await storedAccessToken(page);
  const url = `${API}/api/task/`;
  const asBearer = await fetch(url, { headers: { Authorization: `Bearer ${token}` } });
  assert.equal(asBearer.status, 401);
  assert.match(asBearer.headers.get('www-authenticate'), /error="invalid_token"/);
  const stolen = await fetch(url, {
    headers: { Authorization: `DPoP ${token}`, DPoP: await foreignProof('GET', url, token) },
  });
  assert.equal(stolen.status, 401);
  assert.match(stolen.headers.get('www-authenticate'), /^DPoP error="(invalid_token|use_dpop_nonce)"/);
  // The app itself, holding the key, still gets through.
  await reload(page);
  await page.getByRole('heading', { name: 'My tasks' }).waitFor();
  assert.deepEqual(await page.locator('.problem').allInnerTexts(), []);
  await context.close();
});

test("bob sees none of alice's tasks, and the API's field errors beside the field", async () => {
  const { context, page } = await visit();
  await logIn(page, 'bob');
  await page.getByText('No tasks yet.').waitFor();
  assert.deepEqual(await taskTitles(page), []);

  await addTask(page, 'x'.repeat(51), 'too long a title');
  // The message is the title field's description, the field is marked invalid and focused.
  const title = page.getByRole('region', { name: 'New task' }).getByLabel('Title');
  await page.waitForFunction(() => document.activeElement?.getAttribute('aria-invalid') === 'true');
  assert.equal(await title.getAttribute('aria-invalid'), 'true');
  assert.equal(await title.evaluate((input) => input === document.activeElement), true, 'the field in error has the focus');
  const description = await title.evaluate((input) =>
    input.getAttribute('aria-describedby').split(/\s+/).map((id) => document.getElementById(id)?.textContent.trim()).join(' '));
  assert.equal(description, 'Ensure this field has no more than 50 characters.');
  assert.deepEqual(await taskTitles(page), [], 'nothing was created');
  await context.close();
});

test("the API's problems are shown in its words, else the app's, with the way out", async () => {
  const { context, page } = await visit();
  await logIn(page, 'bob');
  await page.getByText('No tasks yet.').waitFor();
  const isTaskList = apiPath('/api/task/');
  const cases = [
    [503, { detail: 'The database is unavailable; try again shortly.' }, 'The database is unavailable; try again shortly.'],
    [403, { message: "You don't have access to this resource" }, 'You are not allowed to do this.'],
    [502, {}, 'The API answered 502.'],
  ];
  for (const [status, body, message] of cases) {
    // The API's answer, as it would give it, in place of the real one.
    await page.route(isTaskList, apiAnswering(status, body));
    await reload(page);
    const alert = page.getByRole('alert');
    assert.equal(await alert.locator('.message').innerText(), message, `${status}`);
    assert.ok(await page.getByRole('heading', { name: 'My tasks' }).isVisible(), `${status}: the page stays`);
    await page.unroute(isTaskList);
    await alert.getByRole('button', { name: 'Try again' }).click();
    await page.getByText('No tasks yet.').waitFor();
    assert.equal(await page.getByRole('alert').count(), 0, `${status}: the retry cleared the problem`);
  }

  // A session the API no longer takes: "Log in again", and back to the same page after.
  const isMe = apiPath('/api/me');
  await page.route(isMe, apiAnswering(401, { detail: 'User inactive or deleted.' }));
  await page.getByRole('link', { name: 'Profile' }).click();
  const alert = page.getByRole('alert');
  assert.equal(await alert.locator('.message').innerText(), 'User inactive or deleted.');
  await page.unroute(isMe);
  await alert.getByRole('button', { name: 'Log in again' }).click();
  await page.waitForURL((url) => url.href.startsWith(`${ISSUER}authorize`) || url.href === `${APP}/profile`);
  if (page.url().startsWith(ISSUER)) {
    await page.getByRole('button', { name: 'Log in as bob' }).click();
  }
  await page.waitForURL(`${APP}/profile`);
  assert.equal(await page.locator('.username').innerText(), 'auth0.bob');
  assert.equal(await page.getByRole('alert').count(), 0);
  await context.close();
});

test('the app keeps working past expiry through its bound refresh token; a copied one is refused', async () => {
  const { context, page } = await visit();
  await logIn(page, 'alice');
  const storedRefreshToken = async () => (await storedAccessToken(page))?.refresh_token;
  const first = await storedRefreshToken();
  assert.ok(first, 'the app holds a refresh token');

  const refreshes = [];
  page.on('request', (request) => {
    if (request.url() === `${ISSUER}oauth/token` && /grant_type=refresh_token/.test(request.postData() ?? '')) {
      refreshes.push(request);
    }
  });
  await page.waitForTimeout((TOKEN_TTL_SECS + 1) * 1000);
  await addTask(page, `After expiry ${RUN}`, 'still works');
  await taskRow(page, `After expiry ${RUN}`).waitFor();
  assert.ok(refreshes.length > 0, 'the expired access token was renewed with the refresh token');
  assert.ok(refreshes.every((request) => request.headers().dpop), 'each refresh came with a DPoP proof');
  const rotated = await storedRefreshToken();
  assert.notEqual(rotated, first, 'refresh tokens rotate');
  assert.equal((await storedAccessToken(page)).token_type, 'DPoP', 'the renewed token is bound too');

  // The refresh token is bound to the browser's key: out of the page, it is refused.
  const copied = await fetch(`${ISSUER}oauth/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'refresh_token', client_id: 'dev-spa', refresh_token: rotated }),
  });
  assert.equal(copied.status, 400);
  assert.equal((await copied.json()).error, 'invalid_dpop_proof');
  await context.close();
});

test("the dev issuer's refusals", async () => {
  const { context, page } = await visit();
  const verifier = randomBytes(32).toString('base64url');
  const params = (changes = {}) => {
    const query = new URLSearchParams({
      response_type: 'code', client_id: 'dev-spa', redirect_uri: APP, state: 'st', nonce: 'n',
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256', audience: AUDIENCE, scope: 'openid offline_access',
    });
    for (const [name, value] of Object.entries(changes)) {
      if (value === null) query.delete(name); else query.set(name, value);
    }
    return `${ISSUER}authorize?${query}`;
  };

  // An unknown redirect_uri is an error page of the issuer's own, never a redirect.
  const response = await page.goto(params({ redirect_uri: 'http://localhost:4200/elsewhere' }));
  assert.equal(response.status(), 400);
  assert.ok(page.url().startsWith(ISSUER));
  assert.match(await page.getByRole('alert').innerText(), /Callback URL mismatch/);

  // Missing PKCE goes back to the app with the error, which the app shows. The app's own
  // login is sent without its PKCE parameters, so the app knows the transaction's state.
  await page.goto(APP);
  await page.route(`${ISSUER}authorize**`, (route) => {
    const url = new URL(route.request().url());
    url.searchParams.delete('code_challenge');
    url.searchParams.delete('code_challenge_method');
    return route.continue({ url: url.toString() });
  });
  const sentState = page
    .waitForRequest((request) => request.url().startsWith(`${ISSUER}authorize`))
    .then((request) => new URL(request.url()).searchParams.get('state'));
  const backToApp = page
    .waitForRequest((request) => request.url().startsWith(`${APP}/?`) && request.url().includes('error='))
    .then((request) => new URL(request.url()).searchParams);
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
  const back = await backToApp;
  assert.equal(back.get('error'), 'invalid_request');
  assert.equal(back.get('state'), await sentState);
  const shown = page.getByRole('alert');
  await shown.waitFor();
  assert.equal(await shown.innerText(), 'Login failed: Missing required parameter: code_challenge (PKCE is required).');
  await page.unroute(`${ISSUER}authorize**`);
  // A login that works clears the failure.
  await logIn(page, 'bob');
  assert.equal(await page.getByText('Login failed').count(), 0, 'the login error is gone once logged in');

  // A code for our own PKCE pair: a wrong verifier and a reused code are invalid_grant.
  const codeFor = async () => {
    await page.goto(params());
    if (page.url().startsWith(`${ISSUER}authorize`)) {
      await page.getByRole('button', { name: 'Log in as bob' }).click();
    }
    await page.waitForURL(`${APP}/**`);
    return new URL(page.url()).searchParams.get('code');
  };
  const exchange = (code, codeVerifier) =>
    fetch(`${ISSUER}oauth/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code', client_id: 'dev-spa', code, code_verifier: codeVerifier, redirect_uri: APP,
      }),
    }).then(async (answer) => ({ status: answer.status, body: await answer.json() }));
  const wrong = await exchange(await codeFor(), randomBytes(32).toString('base64url'));
  assert.deepEqual([wrong.status, wrong.body.error], [403, 'invalid_grant']);
  const code = await codeFor();
  assert.equal((await exchange(code, verifier)).status, 200);
  const reused = await exchange(code, verifier);
  assert.deepEqual([reused.status, reused.body.error], [403, 'invalid_grant']);
  await context.close();
});

test('the app is served with a strict CSP: an injected inline script is blocked, the app still works', async () => {
  const response = await fetch(`${APP}/`);
  const policy = response.headers.get('content-security-policy') ?? '';
  const directives = Object.fromEntries(
    policy.split(';').map((directive) => directive.trim().split(/\s+/)).map(([name, ...values]) => [name, values]),
  );
  assert.deepEqual(directives['script-src'], ["'self'"], policy);
  assert.deepEqual(directives['frame-ancestors'], ["'none'"], policy);
  assert.deepEqual(directives['object-src'], ["'none'"], policy);
  assert.deepEqual(directives['base-uri'], ["'self'"], policy);
  assert.deepEqual(
    [...(directives['connect-src'] ?? [])].sort(),
    ["'self'", new URL(API).origin, new URL(ISSUER).origin].sort(),
    'the page may talk to itself, the API and the issuer only',
  );
  assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
  assert.equal(response.headers.get('referrer-policy'), 'no-referrer');
  // Only hashed bundles may be cached for good.
  for (const unhashed of ['/', '/favicon.ico', '/config.json']) {
    const answer = await fetch(`${APP}${unhashed}`);
    assert.ok(answer.headers.get('content-security-policy'), `${unhashed}: CSP`);
    assert.doesNotMatch(answer.headers.get('cache-control') ?? '', /immutable/, unhashed);
  }
  const bundle = (await response.text()).match(/src="(main-[A-Z0-9]{8}\.js)"/)?.[1];
  assert.ok(bundle, 'the page loads a hashed bundle');
  assert.match((await fetch(`${APP}/${bundle}`)).headers.get('cache-control') ?? '', /immutable/);

  const { context, page } = await visit();
  // Chromium reports each CSP violation on the console, across navigations.
  const violations = [];
  page.on('console', (message) => {
    if (/Content Security Policy/.test(message.text())) violations.push(message.text());
  });
  await page.getByText('Log in to see your tasks.').waitFor();
  assert.deepEqual(violations, [], 'the app itself breaks no rule of its policy');
  const injected = await page.evaluate(async () => {
    const reported = new Promise((resolve) =>
      document.addEventListener('securitypolicyviolation', (event) => resolve(event.effectiveDirective), { once: true }));
    const script = document.createElement('script');
    script.textContent = 'window.injectedScriptRan = true;';
    document.body.appendChild(script);
    return { ran: window.injectedScriptRan === true, directive: await reported };
  });
  assert.deepEqual(injected, { ran: false, directive: 'script-src-elem' }, 'the injected script was blocked');
  assert.equal(violations.length, 1, violations.join('\n'));

  // The app still works under the policy: styles apply, log in, add a task.
  assert.match(await page.evaluate(() => getComputedStyle(document.body).fontFamily), /system-ui/);
  await logIn(page, 'alice');
  await addTask(page, `Under CSP ${RUN}`, 'still works');
  await taskRow(page, `Under CSP ${RUN}`).waitFor();
  assert.equal(violations.length, 1, `no other violation:\n${violations.join('\n')}`);
  await context.close();
});
