import { HttpTestingController, TestRequest } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { MatSnackBar } from '@angular/material/snack-bar';
import { AuthService } from '@auth0/auth0-angular';

import { aTask, fakeAuth, setUpApp, TASKS_URL } from '../../testing/app-testing';
import { TaskList } from './task-list';
import { Task } from './task.model';

describe('TaskList', () => {
  let http: HttpTestingController;
  let auth: Partial<AuthService>;

  beforeEach(() => {
    auth = fakeAuth();
    http = setUpApp({ provide: AuthService, useValue: auth });
  });

  afterEach(() => {
    TestBed.inject(MatSnackBar).dismiss();
    http.verify();
  });

  const listRequest = (completed: boolean): TestRequest =>
    http.expectOne((req) => req.method === 'GET' && req.url === TASKS_URL && req.params.get('completed') === String(completed));

  async function render(open: Task[] = [], done: Task[] = [], openNext?: string) {
    const fixture = TestBed.createComponent(TaskList);
    await fixture.whenStable();
    listRequest(false).flush(open, openNext ? { headers: { Link: `<${openNext}>; rel="next"` } } : {});
    if (!openNext) {
      listRequest(true).flush(done);
    }
    await fixture.whenStable();
    const element: HTMLElement = fixture.nativeElement;
    const titles = () => [...element.querySelectorAll('.task .title')].map((title) => title.textContent?.trim());
    const button = (name: string) =>
      [...document.querySelectorAll<HTMLButtonElement>('button')].find(
        (b) => (b.getAttribute('aria-label') ?? b.textContent?.trim()) === name,
      );
    return { fixture, element, titles, button };
  }

  /** Waits for the snack bar's close, which Material finishes a few microtasks after the next render. */
  async function settle(fixture: { whenStable(): Promise<unknown> }) {
    await fixture.whenStable();
    await new Promise((resolve) => setTimeout(resolve));
    await fixture.whenStable();
  }

  it('shows open tasks first, then done ones, each list as the API ordered it', async () => {
    const open = [aTask({ title: 'Soon', due_date: '2026-12-03' }), aTask({ title: 'Later', due_date: '2026-12-24' })];
    const done = [aTask({ title: 'Finished', completed: true })];
    const { titles, element } = await render(open, done);
    expect(titles()).toEqual(['Soon', 'Later', 'Finished']);
    expect(element.querySelector('.empty')).toBeNull();
    expect(element.querySelector('.load-more')).toBeNull();
  });

  it('says so when there is nothing to show', async () => {
    const { element } = await render();
    expect(element.querySelector('.empty')?.textContent).toContain('No tasks yet.');
  });

  it('follows Link: rel="next" with Load more, then goes on to the done tasks', async () => {
    const next = `${TASKS_URL}?completed=false&limit=1&offset=1&ordering=due_date`;
    const { fixture, titles, element } = await render([aTask({ title: 'First' })], [], next);
    expect(titles()).toEqual(['First']);
    element.querySelector<HTMLButtonElement>('.load-more')!.click();
    http.expectOne(next).flush([aTask({ title: 'Second' })]);
    listRequest(true).flush([aTask({ title: 'Done', completed: true })]);
    await fixture.whenStable();
    expect(titles()).toEqual(['First', 'Second', 'Done']);
    expect(element.querySelector('.load-more')).toBeNull();
  });

  it('starts the next window one earlier for each loaded task that left the list, so none is skipped', async () => {
    const next = `${TASKS_URL}?completed=false&limit=2&offset=2&ordering=due_date`;
    const first = aTask({ title: 'First' });
    const { fixture, element } = await render([first, aTask({ title: 'Second' })], [], next);
    element.querySelector<HTMLInputElement>(`[data-task-id="${first.id}"] input[type="checkbox"]`)!.click();
    http.expectOne(`${TASKS_URL}${first.id}/`).flush({ ...first, completed: true });
    await fixture.whenStable();
    element.querySelector<HTMLButtonElement>('.load-more')!.click();
    http.expectOne(`${TASKS_URL}?completed=false&limit=2&offset=1&ordering=due_date`).flush([]);
    listRequest(true).flush([]);
  });

  it('ticks a task off with its checkbox at once, and puts it back when the API refuses', async () => {
    const task = aTask({ title: 'Workout' });
    const { fixture, element, titles } = await render([task, aTask({ title: 'Other' })]);
    const checkbox = () => element.querySelector<HTMLInputElement>(`[data-task-id="${task.id}"] input[type="checkbox"]`)!;
    checkbox().click();
    await fixture.whenStable();
    // Before the API answers: ticked, and moved after the open ones.
    expect(checkbox().checked).toBe(true);
    expect(titles()).toEqual(['Other', 'Workout']);
    const patch = http.expectOne({ method: 'PATCH', url: `${TASKS_URL}${task.id}/` });
    expect(patch.request.body).toEqual({ completed: true });
    patch.flush({ ...task, completed: true });
    await fixture.whenStable();
    expect(checkbox().checked).toBe(true);

    checkbox().click();
    await fixture.whenStable();
    expect(checkbox().checked).toBe(false);
    http
      .expectOne(`${TASKS_URL}${task.id}/`)
      .flush({ detail: 'The database is unavailable; try again shortly.' }, { status: 503, statusText: 'Unavailable' });
    await fixture.whenStable();
    expect(checkbox().checked).toBe(true);
    expect(titles()).toEqual(['Other', 'Workout']);
    expect(element.querySelector('[role="alert"]')?.textContent).toContain('The database is unavailable');
  });

  it('adds a task once, however often the form is sent while the first is in flight', async () => {
    const { fixture, element, titles } = await render();
    const form = element.querySelector('form')!;
    const title = form.querySelector<HTMLInputElement>('input[name="title"]')!;
    title.value = 'Workout';
    title.dispatchEvent(new Event('input'));
    // Before the page renders again, and after.
    form.dispatchEvent(new Event('submit'));
    form.dispatchEvent(new Event('submit'));
    await fixture.whenStable();
    form.dispatchEvent(new Event('submit'));
    const post = http.expectOne({ method: 'POST', url: TASKS_URL });
    post.flush(aTask({ title: 'Workout' }));
    await fixture.whenStable();
    expect(titles()).toEqual(['Workout']);
    expect(title.value).toBe('');
  });

  it('deletes only when the undo expires; Undo keeps the task', async () => {
    const kept = aTask({ title: 'Kept' });
    const gone = aTask({ title: 'Gone' });
    const { fixture, titles, button } = await render([kept, gone]);
    const snackBar = TestBed.inject(MatSnackBar);

    button("Delete 'Kept'")!.click();
    await fixture.whenStable();
    expect(titles()).toEqual(['Gone']);
    http.expectNone({ method: 'DELETE' });
    button('Undo')!.click();
    await settle(fixture);
    expect(titles()).toEqual(['Kept', 'Gone']);
    http.expectNone({ method: 'DELETE' });

    button("Delete 'Gone'")!.click();
    await fixture.whenStable();
    expect(titles()).toEqual(['Kept']);
    http.expectNone({ method: 'DELETE' });
    snackBar.dismiss();
    await settle(fixture);
    http.expectOne({ method: 'DELETE', url: `${TASKS_URL}${gone.id}/` }).flush(null, { status: 204, statusText: 'No Content' });
    await fixture.whenStable();
    expect(titles()).toEqual(['Kept']);
  });

  it('a failed load offers Try again; a 401 offers to log in again, back to this page', async () => {
    const fixture = TestBed.createComponent(TaskList);
    await fixture.whenStable();
    listRequest(false).flush({ detail: 'Service down.' }, { status: 503, statusText: 'Unavailable' });
    await fixture.whenStable();
    const element: HTMLElement = fixture.nativeElement;
    expect(element.querySelector('[role="alert"] .message')?.textContent).toBe('Service down.');
    [...element.querySelectorAll('button')].find((b) => b.textContent?.trim() === 'Try again')!.click();
    listRequest(false).flush({ detail: 'Expired.' }, { status: 401, statusText: 'Unauthorized' });
    await fixture.whenStable();
    expect(element.querySelector('[role="alert"] .message')?.textContent).toBe('Expired.');
    [...element.querySelectorAll('button')].find((b) => b.textContent?.trim() === 'Log in again')!.click();
    expect(auth.loginWithRedirect).toHaveBeenCalledWith({ appState: { target: '/' } });
  });
});
