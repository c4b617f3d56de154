// What the app's browser tests share: Debian's chromium (playwright-core, no browser
// download), a fresh profile per test, logging in through the dev issuer's page, and the
// task form.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { after, before } from 'node:test';
import { chromium } from 'playwright-core';

export const APP = process.env.APP_URL ?? 'http://localhost:4200';
export const API = process.env.API_URL ?? 'http://localhost:8000';
export const ISSUER = process.env.ISSUER_URL ?? 'http://127.0.0.1:8001/';
export const SCREENSHOTS = '.local/screenshots';
/** A tag unique to this run, so a failure message names this run's tasks. */
export const RUN = randomBytes(3).toString('hex');

let browser;

/** Starts chromium before the file's tests and closes it after. */
export function useBrowser() {
  before(async () => {
    const executablePath = execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim();
    browser = await chromium.launch({
      executablePath,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });
  after(async () => {
    await browser?.close();
  });
}

/** Requests each page has sent and not yet seen answered (see `reload`). */
const pending = new WeakMap();

/** A fresh browser profile (no cookies, no stored tokens) on the app; `options` as playwright's newContext. */
export async function visit(options = {}) {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  pending.set(page, 0);
  page.on('request', () => pending.set(page, pending.get(page) + 1));
  for (const settled of ['requestfinished', 'requestfailed']) {
    page.on(settled, () => pending.set(page, pending.get(page) - 1));
  }
  await page.goto(APP);
  return { context, page };
}

/**
 * Reloads the page once it has been quiet for half a second. The dev issuer rotates
 * refresh tokens as an Auth0 tenant does with no reuse interval: a reload while the SDK's
 * refresh is in flight loses the new refresh token, and the old one is then refused as
 * reused, which ends the session. A person can hit that too, rarely, but a test must not
 * hit it by chance (people's tokens live 5 s here, so the SDK refreshes before most calls).
 */
export async function reload(page) {
  let quietSince = Date.now();
  const deadline = Date.now() + 15_000;
  while (Date.now() - quietSince < 500) {
    assert.ok(Date.now() < deadline, 'the page never went quiet');
    await new Promise((resolve) => setTimeout(resolve, 50));
    if (pending.get(page) > 0) {
      quietSince = Date.now();
    }
  }
  await page.reload();
}

/** Clicks "Log in", picks `name` on the dev issuer's page, and waits for the task list. */
export async function logIn(page, name) {
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
  await page.waitForURL(`${ISSUER}authorize**`);
  assert.match(await page.locator('.banner').innerText(), /Development stand-in for an Auth0 tenant/);
  await page.getByRole('button', { name: `Log in as ${name}` }).click();
  await page.waitForURL(`${APP}/**`);
  await page.getByRole('heading', { name: 'My tasks' }).waitFor();
}

export const newTaskForm = (page) => page.getByRole('region', { name: 'New task' });

/** Fills the new task form (the due date as the date field takes it, M/D/YYYY) and sends it. */
export async function addTask(page, title, content, dueDate) {
  const form = newTaskForm(page);
  await form.getByLabel('Title').fill(title);
  await form.getByLabel('Content').fill(content);
  if (dueDate) {
    await form.getByLabel('Due date').fill(dueDate);
  }
  await form.getByRole('button', { name: 'Add task' }).click();
}

/** The row of the task titled `title`. */
export const taskRow = (page, title) => page.locator('.task', { has: page.locator('.title', { hasText: title }) });
export const taskTitles = (page) => page.locator('.task .title').allInnerTexts();

/** `date` as the app's date field takes it: M/D/YYYY. */
export const typedDate = (date) => `${date.getMonth() + 1}/${date.getDate()}/${date.getFullYear()}`;

/** The API's answer to the app's next `method` request, past any DPoP nonce challenge (the app retries those). */
export const apiAnswer = (page, method, timeout = 15_000) =>
  page.waitForResponse((response) =>
    response.url().startsWith(`${API}/`) && response.request().method() === method
      && !/use_dpop_nonce/.test(response.headers()['www-authenticate'] ?? ''), { timeout });

/** A route matcher for the API's `path` (any query). */
export const apiPath = (path) => (url) => url.origin === API && url.pathname === path;

/** A route handler answering as the API would with `status` and JSON `body`, readable from the app's origin. */
export const apiAnswering = (status, body) => (route) =>
  route.fulfill({ status, contentType: 'application/json', body: JSON.stringify(body),
    headers: { 'Access-Control-Allow-Origin': APP } });
