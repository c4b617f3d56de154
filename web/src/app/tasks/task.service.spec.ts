import { HttpTestingController } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { firstValueFrom } from 'rxjs';

import { aTask, setUpApp, TASKS_URL } from '../../testing/app-testing';
import { TaskPage } from './task.model';
import { PAGE_SIZE, TaskService } from './task.service';

describe('TaskService', () => {
  let http: HttpTestingController;
  let service: TaskService;

  beforeEach(() => {
    http = setUpApp();
    service = TestBed.inject(TaskService);
  });

  afterEach(() => http.verify());

  it('asks for open tasks soonest due first, and done ones latest due first, a page at a time', async () => {
    const open = firstValueFrom(service.firstPage(false));
    const openRequest = http.expectOne((req) => req.url === TASKS_URL);
    expect(openRequest.request.method).toBe('GET');
    expect(openRequest.request.params.toString()).toBe(`completed=false&ordering=due_date&limit=${PAGE_SIZE}`);
    openRequest.flush([]);
    expect(await open).toEqual({ tasks: [], next: null });

    const done = firstValueFrom(service.firstPage(true));
    const doneRequest = http.expectOne((req) => req.url === TASKS_URL);
    expect(doneRequest.request.params.toString()).toBe(`completed=true&ordering=-due_date&limit=${PAGE_SIZE}`);
    doneRequest.flush([]);
    await done;
  });

  it('reads the next window from the Link header and follows it as written', async () => {
    const task = aTask();
    const next = `${TASKS_URL}?completed=false&limit=50&offset=50&ordering=due_date`;
    const first = firstValueFrom(service.firstPage(false));
    http.expectOne((req) => req.url === TASKS_URL).flush([task], { headers: { Link: `<${next}>; rel="next"` } });
    expect(await first).toEqual<TaskPage>({ tasks: [task], next });

    const second = firstValueFrom(service.nextPage(next));
    http.expectOne(next).flush([]);
    expect(await second).toEqual<TaskPage>({ tasks: [], next: null });
  });

  it('creates with POST, changes with PATCH, deletes with DELETE, on the task URL', async () => {
    const task = aTask({ id: 7 });
    const input = { title: 'Workout', content: 'Run 5k', due_date: '2026-12-24' };
    const created = firstValueFrom(service.create(input));
    const post = http.expectOne({ method: 'POST', url: TASKS_URL });
    expect(post.request.body).toEqual(input);
    post.flush(task);
    expect(await created).toEqual(task);

    const changed = firstValueFrom(service.update(7, { completed: true }));
    const patch = http.expectOne({ method: 'PATCH', url: `${TASKS_URL}7/` });
    expect(patch.request.body).toEqual({ completed: true });
    patch.flush({ ...task, completed: true });
    expect((await changed).completed).toBe(true);

    const removed = firstValueFrom(service.remove(7), { defaultValue: undefined });
    http.expectOne({ method: 'DELETE', url: `${TASKS_URL}7/` }).flush(null, { status: 204, statusText: 'No Content' });
    await removed;
  });
});
