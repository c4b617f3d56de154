// The task list as a person uses it every day, in headless chromium against the live
// stack (scripts/e2e): ticking tasks off, open first, filters, overdue marks, dates in the
// person's locale and time zone, no duplicates from impatient clicks, delete with undo,
// and lists longer than a page. carol is this file's own user.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { addTask, apiAnswer, apiPath, logIn, newTaskForm, reload, RUN, taskRow, taskTitles, typedDate, useBrowser, visit } from './session.mjs';

useBrowser();

/** Today `offset` days away, in the time zone `timeZone` (the browser's). */
const day = (offset, timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone) => {
  const [year, month, date] = new Intl.DateTimeFormat('en-CA', { timeZone }).format(new Date()).split('-').map(Number);
  return new Date(year, month - 1, date + offset);
};
const isTaskList = apiPath('/api/task/');

test('tasks are ticked off and filtered, open ones first; overdue ones are marked; dates are local', async () => {
  // A time zone whose date is not UTC's right now (UTC-11 before 11:00 UTC, UTC+14 after):
  // "today" must be the person's, whatever the hour the test runs.
  const zone = new Date().getUTCHours() < 11 ? 'Pacific/Pago_Pago' : 'Pacific/Kiritimati';
  assert.notEqual(typedDate(day(0, zone)), typedDate(day(0, 'UTC')));
  const { context, page } = await visit({ locale: 'de-DE', timezoneId: zone });
  await logIn(page, 'carol');
  assert.equal(await newTaskForm(page).getByLabel('Due date').inputValue(), typedDate(day(0, zone)),
    "the due date starts at the person's today");

  const late = `Late ${RUN}`;
  const soon = `Soon ${RUN}`;
  const later = `Later ${RUN}`;
  /** This test's tasks, in the order shown. */
  const shown = async () => (await taskTitles(page)).filter((title) => [late, soon, later].includes(title));
  await addTask(page, later, 'in a week', typedDate(day(7, zone)));
  await taskRow(page, later).waitFor();
  await addTask(page, late, 'was due yesterday', typedDate(day(-1, zone)));
  await taskRow(page, late).waitFor();
  // The server's created_on, as the app received it.
  let createdOn;
  await page.route(isTaskList, async (route) => {
    if (route.request().method() !== 'POST') return route.continue();
    const response = await route.fetch();
    if (response.status() === 201) createdOn = (await response.json()).created_on;
    return route.fulfill({ response });
  });
  await addTask(page, soon, 'due today');
  await taskRow(page, soon).waitFor();
  await page.unroute(isTaskList);
  assert.deepEqual(await shown(), [late, soon, later], 'open tasks, soonest due first');

  // Overdue: open and due before today. Dates are written the German way.
  assert.equal(await taskRow(page, late).locator('.overdue-mark').innerText(), 'Overdue');
  assert.equal(await taskRow(page, soon).locator('.overdue-mark').count(), 0);
  const germanDate = new Intl.DateTimeFormat('de-DE', { dateStyle: 'medium' }).format(day(0, zone));
  assert.equal(await taskRow(page, soon).locator('.due').innerText(), `Due ${germanDate}`);
  const [year, month, date] = createdOn.split('-').map(Number);
  const germanCreated = new Intl.DateTimeFormat('de-DE', { dateStyle: 'medium' }).format(new Date(year, month - 1, date));
  assert.equal(await taskRow(page, soon).locator('.created').innerText(), `Added ${germanCreated}`);

  // Ticking off shows at once, sends completed, moves the task after the open ones (the
  // focus going with it) and clears its overdue mark.
  const patched = apiAnswer(page, 'PATCH');
  await taskRow(page, late).getByRole('checkbox', { name: late }).check();
  const focusedTitle = () => page.evaluate(() => document.activeElement?.closest('.task')?.querySelector('.title')?.textContent);
  await taskRow(page, late).and(page.locator('.done')).waitFor();
  assert.equal(await focusedTitle(), late, 'the focus stays on the ticked task');
  const patch = await patched;
  assert.equal(patch.status(), 200);
  assert.deepEqual(patch.request().postDataJSON(), { completed: true });
  assert.deepEqual(await shown(), [soon, later, late], 'done tasks come after the open ones');
  assert.equal(await taskRow(page, late).locator('.overdue-mark').count(), 0, 'a done task is not overdue');

  // It is stored: after a reload it is still done, and the filters split the list.
  await reload(page);
  await taskRow(page, late).waitFor();
  assert.equal(await taskRow(page, late).getByRole('checkbox').isChecked(), true);
  assert.deepEqual(await shown(), [soon, later, late]);
  await page.getByRole('radio', { name: 'Open' }).click();
  await taskRow(page, late).waitFor({ state: 'detached' });
  await taskRow(page, later).waitFor();
  assert.deepEqual(await shown(), [soon, later]);
  assert.equal(await page.locator('.task.done').count(), 0, 'no done task under "Open"');
  await page.getByRole('radio', { name: 'Done' }).click();
  await taskRow(page, late).waitFor();
  assert.deepEqual(await shown(), [late]);
  assert.equal(await page.locator('.task:not(.done)').count(), 0, 'no open task under "Done"');

  // Reopened under "Done", it leaves that list.
  await taskRow(page, late).getByRole('checkbox').click();
  await taskRow(page, late).waitFor({ state: 'detached' });
  await page.getByText('No done tasks yet.').waitFor();
  await context.close();
});

test('a double click or a repeated Enter adds the task once', async () => {
  const { context, page } = await visit();
  await logIn(page, 'carol');
  // The API answers slowly, so the second click and the Enters land while the first is in flight.
  await page.route(isTaskList, async (route) => {
    if (route.request().method() === 'POST') {
      await new Promise((resolve) => setTimeout(resolve, 700));
    }
    await route.continue();
  });
  // Created, that is: a DPoP nonce challenge and its retry are one creation.
  const created = [];
  page.on('response', (response) => {
    if (response.request().method() === 'POST' && isTaskList(new URL(response.url())) && response.status() === 201) {
      created.push(response.url());
    }
  });
  const form = newTaskForm(page);
  const once = `Once ${RUN}`;
  await form.getByLabel('Title').fill(once);
  await form.getByLabel('Content').fill('clicked twice');
  await form.getByRole('button', { name: 'Add task' }).dblclick();
  await taskRow(page, once).waitFor();

  const enter = `Enter ${RUN}`;
  await form.getByLabel('Title').fill(enter);
  await form.getByLabel('Content').fill('Enter, Enter, Enter');
  for (let i = 0; i < 3; i++) await form.getByLabel('Content').press('Enter');
  await taskRow(page, enter).waitFor();
  assert.equal(created.length, 2, 'one task created per title');
  await page.unroute(isTaskList);
  await reload(page);
  await taskRow(page, enter).waitFor();
  assert.equal(await taskRow(page, once).count(), 1);
  assert.equal(await taskRow(page, enter).count(), 1);
  await context.close();
});

test('delete takes the task away at once, Undo brings it back for good, else the delete goes out', async () => {
  const { context, page } = await visit();
  await logIn(page, 'carol');
  const kept = `Kept ${RUN}`;
  const gone = `Gone ${RUN}`;
  await addTask(page, kept, 'undone delete');
  await taskRow(page, kept).waitFor();
  await addTask(page, gone, 'deleted');
  await taskRow(page, gone).waitFor();
  const deletes = [];
  page.on('request', (request) => {
    if (request.method() === 'DELETE') deletes.push(request.url());
  });

  await taskRow(page, kept).getByRole('button', { name: `Delete '${kept}'` }).click();
  await taskRow(page, kept).waitFor({ state: 'detached' });
  const undo = page.getByRole('button', { name: 'Undo' });
  assert.match(await page.locator('mat-snack-bar-container').innerText(), new RegExp(`Deleted '${kept}'`));
  await undo.click();
  await taskRow(page, kept).waitFor();
  // Well past the undo's few seconds: nothing was sent, and the task is still there after a reload.
  await page.waitForTimeout(7_000);
  assert.deepEqual(deletes, [], 'an undone delete is never sent');
  await reload(page);
  await taskRow(page, kept).waitFor();

  const sent = apiAnswer(page, 'DELETE', 20_000);
  await taskRow(page, gone).getByRole('button', { name: `Delete '${gone}'` }).click();
  await taskRow(page, gone).waitFor({ state: 'detached' });
  assert.deepEqual(deletes, [], 'the delete waits for the undo to expire');
  assert.equal((await sent).status(), 204);
  await reload(page);
  await taskRow(page, kept).waitFor();
  assert.equal(await taskRow(page, gone).count(), 0, 'the delete was for good');
  await context.close();
});

test('a list longer than a page is followed through Link: rel="next", nothing cut off', async () => {
  const { context, page } = await visit();
  await logIn(page, 'carol');
  const titles = Array.from({ length: 7 }, (_, i) => `Paged ${i} ${RUN}`);
  for (const [i, title] of titles.entries()) {
    await addTask(page, title, 'one of many', typedDate(day(100 + i)));
    await taskRow(page, title).waitFor();
  }
  // The API pages by 3 here (the app asks for 50): what follows comes from its Link header.
  const asked = [];
  await page.route(isTaskList, (route) => {
    const url = new URL(route.request().url());
    asked.push(url.search);
    if (url.searchParams.get('limit') === '50') url.searchParams.set('limit', '3');
    return route.continue({ url: url.toString() });
  });
  await reload(page);
  await page.getByRole('radio', { name: 'Open' }).click();
  const paged = async () => (await taskTitles(page)).filter((title) => titles.includes(title));
  await page.waitForFunction(() => document.querySelectorAll('.task').length > 0);
  const before = (await taskTitles(page)).length;
  assert.equal(before, 3, 'one window of three');
  const loadMore = page.getByRole('button', { name: 'Load more' });
  while (await loadMore.isVisible()) {
    const shown = (await taskTitles(page)).length;
    await loadMore.click();
    await page.waitForFunction((count) => document.querySelectorAll('.task').length > count, shown);
  }
  assert.deepEqual(await paged(), titles, 'every task, in order, once');
  assert.ok(asked.some((search) => /offset=3\b/.test(search) && /completed=false/.test(search) && /ordering=due_date/.test(search)),
    `the next window keeps the filter and the order: ${asked.join(' ')}`);
  await context.close();
});
