// Lighthouse's accessibility and best-practices scores of the app, logged out and logged
// in (the task list, the profile), in Debian's chromium, offline. Needs the stack of
// scripts/run (the dev issuer, the API, the app on :4200). Prints one line per page and
// writes each report to .local/lighthouse/.
//
//   node tests/lighthouse/run.mjs [--user alice]
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import lighthouse from 'lighthouse';
import { chromium } from 'playwright-core';

const { values } = parseArgs({ options: { user: { type: 'string', default: 'alice' } } });
const APP = process.env.APP_URL ?? 'http://localhost:4200';
const PORT = 9333;
const REPORTS = '.local/lighthouse';

// One browser, reachable by Lighthouse on the DevTools port; its default profile keeps the
// login (refresh token, DPoP key) between the pages measured.
const context = await chromium.launchPersistentContext(mkdtempSync(path.join(tmpdir(), 'lighthouse-')), {
  executablePath: execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim(),
  args: ['--no-sandbox', '--disable-gpu', `--remote-debugging-port=${PORT}`, '--no-first-run', '--disable-background-networking'],
});
/** What Lighthouse saw of a page: its form controls' text, and the API's answers to it. */
const seen = (artifacts) => ({
  controls: JSON.stringify(artifacts.Inputs),
  answered: (path, status) =>
    artifacts.DevtoolsLog.some(({ method, params }) =>
      method === 'Network.responseReceived' && new URL(params.response.url).pathname === path && params.response.status === status),
});

/** Measures `url`; `check` says whether the page measured is the one meant (the login held). */
const measure = async (name, url, check) => {
  const result = await lighthouse(url, {
    port: PORT,
    output: 'html',
    onlyCategories: ['accessibility', 'best-practices'],
    disableStorageReset: true,
    formFactor: 'desktop',
    screenEmulation: { mobile: false, width: 1280, height: 800, deviceScaleFactor: 1, disabled: false },
    logLevel: 'error',
  });
  if (!check(seen(result.artifacts))) {
    throw new Error(`${name}: Lighthouse measured another page than meant (${result.lhr.finalDisplayedUrl})`);
  }
  mkdirSync(REPORTS, { recursive: true });
  writeFileSync(`${REPORTS}/${name}.html`, result.report);
  const { accessibility, 'best-practices': practices } = result.lhr.categories;
  // The audits that count towards the two scores and did not pass.
  const failed = [accessibility, practices]
    .flatMap((category) => category.auditRefs)
    .filter(({ id, weight }) => weight > 0 && result.lhr.audits[id].score !== null && result.lhr.audits[id].score < 1)
    .map(({ id }) => id);
  console.log(`${name}: accessibility ${Math.round(accessibility.score * 100)}, best practices ${Math.round(practices.score * 100)}${failed.length ? ` (failed: ${failed.join(', ')})` : ''}`);
};

try {
  await measure('logged-out', APP, ({ controls }) => !controls.includes('Add task'));
  const page = context.pages()[0] ?? (await context.newPage());
  await page.goto(APP);
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
  await page.getByRole('button', { name: `Log in as ${values.user}` }).click();
  await page.getByRole('heading', { name: 'My tasks' }).waitFor();
  await measure('tasks', APP, ({ controls, answered }) => controls.includes('Add task') && answered('/api/task/', 200));
  await measure('profile', `${APP}/profile`, ({ answered }) => answered('/api/me', 200));
} finally {
  await context.close();
}
