// Accessibility, in headless chromium against the live stack (scripts/e2e): axe-core
// finds no violation in any state of any page; one person adds, edits, completes and
// deletes a task with the keyboard alone; focus lands somewhere sensible after each step;
// at most one assertive live region speaks. Screenshots at 360 and 1280 px wide, light
// and dark, go to .local/screenshots/. dave is this file's own user.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { test } from 'node:test';

import { addTask, apiAnswer, apiAnswering, apiPath, logIn, reload, RUN, SCREENSHOTS, taskRow, useBrowser, visit } from './session.mjs';

useBrowser();

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/**
 * axe-core's violations on the page as it is now (WCAG 2.2 A and AA, and best practices).
 * The script is evaluated through the DevTools protocol, which the page's CSP does not
 * govern: the page itself still runs nothing inline.
 */
async function violations(page) {
  if (!(await page.evaluate(() => 'axe' in window))) {
    await page.evaluate(AXE_SOURCE);
  }
  return page.evaluate(async () => {
    const result = await window.axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] },
    });
    return result.violations.map(({ id, help, nodes }) => `${id}: ${help} (${nodes.map((node) => node.target.join(' ')).join(', ')})`);
  });
}

/** The live regions that say something now, and how loudly. */
const speaking = (page) =>
  page.evaluate(() =>
    [...document.querySelectorAll('[role="alert"], [aria-live="assertive"], [role="status"], [aria-live="polite"]')]
      .filter((region) => region.textContent.trim() !== '')
      .map((region) => ({
        assertive: region.getAttribute('role') === 'alert' || region.getAttribute('aria-live') === 'assertive',
        text: region.textContent.trim(),
      })));

/** Checks `state`: no axe violation, and no two assertive live regions at once. */
async function checkState(page, state, checked) {
  assert.deepEqual(await violations(page), [], `${state}: axe-core violations`);
  const assertive = (await speaking(page)).filter((region) => region.assertive);
  assert.ok(assertive.length <= 1, `${state}: one assertive live region at most: ${JSON.stringify(assertive)}`);
  checked.push(state);
}

const focused = (page) =>
  page.evaluate(() => {
    const element = document.activeElement;
    const labelled = element?.getAttribute('aria-label') ?? element?.labels?.[0]?.textContent ?? element?.textContent ?? '';
    return { tag: element?.tagName.toLowerCase(), name: labelled.trim(), type: element?.getAttribute('type') };
  });

/** Presses Tab until `wanted(focused)` holds (at most 40 times): how a keyboard user gets there. */
async function tabTo(page, wanted, description) {
  for (let i = 0; i < 40; i++) {
    if (wanted(await focused(page))) return;
    await page.keyboard.press('Tab');
  }
  assert.fail(`Tab never reached ${description}; last: ${JSON.stringify(await focused(page))}`);
}

test('every state of every page passes axe-core; one assertive live region at most', async () => {
  const { context, page } = await visit();
  const checked = [];
  await page.getByText('Log in to see your tasks.').waitFor();
  await checkState(page, 'logged out', checked);

  await logIn(page, 'dave');
  await page.getByText('No tasks yet.').waitFor();
  await checkState(page, 'empty list', checked);

  const title = `Axe ${RUN}`;
  await addTask(page, title, 'checked by axe-core');
  await taskRow(page, title).waitFor();
  await checkState(page, 'list', checked);

  await addTask(page, 'x'.repeat(51), '');
  await page.waitForFunction(() => document.querySelectorAll('[aria-invalid="true"]').length === 2);
  // Checked once the errors have slid in: half-way, their colours are half-way too.
  await page.waitForFunction(() =>
    [...document.querySelectorAll('mat-form-field')].every((field) =>
      field.getAnimations({ subtree: true }).every((animation) => animation.playState !== 'running')));
  await checkState(page, 'field errors', checked);

  await taskRow(page, title).getByRole('button', { name: `Edit '${title}'` }).click();
  await page.getByRole('dialog', { name: 'Edit task' }).waitFor();
  // Checked once it has faded in: half-way, its colours are half-way too.
  await page.locator('mat-dialog-container.mdc-dialog--open:not(.mdc-dialog--opening)').waitFor();
  await checkState(page, 'editing', checked);
  await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
  await page.getByRole('dialog').waitFor({ state: 'detached' });

  await taskRow(page, title).getByRole('button', { name: `Delete '${title}'` }).click();
  await page.getByRole('button', { name: 'Undo' }).waitFor();
  await checkState(page, 'deleting with undo', checked);
  await page.getByRole('button', { name: 'Undo' }).click();
  await taskRow(page, title).waitFor();

  await page.getByRole('link', { name: 'Profile' }).click();
  await page.locator('.username').waitFor();
  await checkState(page, 'profile', checked);

  await page.getByRole('link', { name: 'Tasks' }).click();
  const isTaskList = apiPath('/api/task/');
  await page.route(isTaskList, apiAnswering(503, { detail: 'The database is unavailable; try again shortly.' }));
  await reload(page);
  await page.getByRole('alert').waitFor();
  await checkState(page, 'error', checked);
  await page.unroute(isTaskList);
  assert.deepEqual(checked, ['logged out', 'empty list', 'list', 'field errors', 'editing', 'deleting with undo', 'profile', 'error']);
  await context.close();
});

test('with the keyboard alone: add, edit, complete and delete a task; the focus follows', async () => {
  const { context, page } = await visit();
  await logIn(page, 'dave');
  const first = `Keyboard ${RUN}`;
  const renamed = `Keyed in ${RUN}`;
  const next = `Next ${RUN}`;
  await addTask(page, next, 'stays', '12/31/2099');
  await taskRow(page, next).waitFor();
  await page.locator('body').focus();

  // Add: Tab to the title, type, Tab to the content, type, Enter.
  await tabTo(page, ({ tag, name }) => tag === 'input' && name === 'Title', 'the title field');
  await page.keyboard.type(first);
  await page.keyboard.press('Tab');
  await page.keyboard.type('typed, not clicked');
  await page.keyboard.press('Enter');
  await taskRow(page, first).waitFor();
  assert.deepEqual(await focused(page), { tag: 'input', name: 'Title', type: null }, 'after adding: the title, for the next task');

  // Edit: Tab to its Edit button, Enter, the dialog's title field has the focus.
  await tabTo(page, ({ name }) => name === `Edit '${first}'`, 'Edit');
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('dialog', { name: 'Edit task' });
  await dialog.waitFor();
  await page.waitForFunction(() => document.activeElement?.closest('mat-dialog-container') !== null);
  assert.equal((await focused(page)).name, 'Title', 'the dialog opens on its first field');
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.type(renamed);
  await page.keyboard.press('Enter');
  await dialog.waitFor({ state: 'detached' });
  await taskRow(page, renamed).waitFor();
  assert.equal((await focused(page)).name, `Edit '${renamed}'`, 'after saving: back on the Edit button');

  // Escape cancels and gives the focus back too.
  await page.keyboard.press('Enter');
  await dialog.waitFor();
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'detached' });
  assert.equal((await focused(page)).name, `Edit '${renamed}'`, 'after cancelling: back on the Edit button');

  // Complete: Shift+Tab to its checkbox, Space.
  await page.keyboard.press('Shift+Tab');
  assert.deepEqual(await focused(page), { tag: 'input', name: renamed, type: 'checkbox' });
  await page.keyboard.press('Space');
  await page.waitForFunction((name) => [...document.querySelectorAll('.task.done .title')].some((t) => t.textContent.includes(name)), renamed);

  // Delete: the focus goes to Undo; when the undo expires, to the next task.
  await tabTo(page, ({ name }) => name === `Delete '${renamed}'`, 'Delete');
  await page.keyboard.press('Enter');
  await taskRow(page, renamed).waitFor({ state: 'detached' });
  await page.waitForFunction(() => document.activeElement?.textContent.trim() === 'Undo');
  await apiAnswer(page, 'DELETE', 20_000);
  await page.waitForFunction(() => document.activeElement?.getAttribute('type') === 'checkbox');
  assert.deepEqual(await focused(page), { tag: 'input', name: next, type: 'checkbox' }, 'after the delete: the next task');
  await context.close();
});

test('screenshots at 360 and 1280 px, light and dark; nothing overflows at 360 px', async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const { context, page } = await visit();
  await logIn(page, 'dave');
  const title = `Screenshot ${RUN}`;
  await addTask(page, title, 'how it looks', '1/1/2020');
  await taskRow(page, title).waitFor();
  for (const scheme of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme: scheme });
    for (const width of [360, 1280]) {
      await page.setViewportSize({ width, height: 800 });
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `${scheme} ${width}px: the page is ${overflow}px wider than the screen`);
      const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
      const dark = await page.evaluate(() => matchMedia('(prefers-color-scheme: dark)').matches);
      assert.equal(dark, scheme === 'dark');
      const [r, g, b] = background.match(/\d+/g).map(Number);
      assert.equal(r + g + b < 384, scheme === 'dark', `${scheme}: the background follows the scheme (${background})`);
      await page.screenshot({ path: `${SCREENSHOTS}/tasks-${width}-${scheme}.png`, fullPage: true });
    }
  }
  await context.close();
});
