import { computed, inject, Injectable, signal } from '@angular/core';
import { finalize, Observable, tap } from 'rxjs';

import { ApiProblem, describeProblem } from '../core/api-error';
import { localToday } from '../core/local-date';
import { Task, TaskFilter, TaskInput, TaskPage } from './task.model';
import { TaskService } from './task.service';

/** The lists a filter shows, in order: open tasks come first. */
const SEGMENTS: Readonly<Record<TaskFilter, readonly boolean[]>> = {
  all: [false, true],
  open: [false],
  done: [true],
};

/** Where paging stands: the list being read (an index into the filter's lists) and its next window. */
interface Cursor {
  readonly segment: number;
  readonly next: string;
  /** Tasks of this list loaded here and since gone from it on the server. */
  readonly gone: number;
}

export type BoardStatus = 'loading' | 'ready' | 'failed';

/**
 * The task list's state for one page: what is loaded, in the order shown, paged through
 * `Link: rel="next"` (open tasks first, then done ones), and every change made to it.
 * Components render it and never touch HTTP.
 */
@Injectable()
export class TaskBoard {
  private readonly service = inject(TaskService);

  readonly filter = signal<TaskFilter>('all');
  readonly status = signal<BoardStatus>('loading');
  readonly loadingMore = signal(false);
  readonly problem = signal<ApiProblem | null>(null);
  /** The person's today (`YYYY-MM-DD`), for due dates and overdue marks. */
  readonly today = signal(localToday());

  private readonly loaded = signal<readonly Task[]>([]);
  /** Deleted here, waiting for the undo to expire. */
  private readonly hidden = signal<ReadonlySet<number>>(new Set());
  private readonly cursor = signal<Cursor | null>(null);

  /** What the list shows: the filter's tasks, open ones first (soonest due), then done (latest due). */
  readonly tasks = computed(() => {
    const shown = SEGMENTS[this.filter()];
    const hidden = this.hidden();
    return this.loaded()
      .filter((task) => shown.includes(task.completed) && !hidden.has(task.id))
      .sort(byShownOrder);
  });
  readonly isEmpty = computed(() => this.status() === 'ready' && this.tasks().length === 0);
  readonly hasMore = computed(() => this.cursor() !== null);

  /** Loads the first window of `filter`'s tasks, forgetting what was loaded. */
  show(filter: TaskFilter): void {
    this.filter.set(filter);
    this.today.set(localToday());
    this.loaded.set([]);
    this.cursor.set(null);
    this.problem.set(null);
    this.status.set('loading');
    this.read(this.service.firstPage(SEGMENTS[filter][0]), 0, 'first');
  }

  /** Reloads the current filter: the "Try again" of a failed load. */
  reload(): void {
    this.show(this.filter());
  }

  /** Follows the list's `Link: rel="next"` (`advance` goes on to the next list once one ends). */
  loadMore(): void {
    const cursor = this.cursor();
    if (!cursor || this.loadingMore()) {
      return;
    }
    const window = this.service.nextPage(shifted(cursor.next, cursor.gone));
    this.loadingMore.set(true);
    this.read(window.pipe(finalize(() => this.loadingMore.set(false))), cursor.segment, 'more');
  }

  create(input: TaskInput): Observable<Task> {
    return this.service.create(input).pipe(
      tap((task) => {
        this.problem.set(null);
        this.loaded.update((tasks) => [...tasks, task]);
      }),
    );
  }

  update(task: Task, input: TaskInput): Observable<Task> {
    return this.service.update(task.id, input).pipe(tap((saved) => this.replace(saved)));
  }

  /** Ticks a task off or reopens it at once; puts it back if the API refuses. */
  setCompleted(task: Task, completed: boolean): void {
    this.replace({ ...task, completed });
    this.service.update(task.id, { completed }).subscribe({
      next: (saved) => {
        if (saved.completed !== task.completed) {
          this.leaveList(task);
        }
        this.replace(saved);
      },
      error: (error: unknown) => {
        this.replace(task);
        this.fail(error);
      },
    });
  }

  /** Takes a task off the list at once; `deleteForGood` or `restore` decides later. */
  hide(task: Task): void {
    this.hidden.update((ids) => new Set(ids).add(task.id));
  }

  restore(task: Task): void {
    this.hidden.update((ids) => {
      const rest = new Set(ids);
      rest.delete(task.id);
      return rest;
    });
  }

  /** Sends the delete of a hidden task; shows it again if the API refuses. */
  deleteForGood(task: Task): void {
    this.service.remove(task.id).subscribe({
      next: () => {
        this.leaveList(task);
        this.loaded.update((tasks) => tasks.filter((t) => t.id !== task.id));
        this.restore(task);
      },
      error: (error: unknown) => {
        this.restore(task);
        this.fail(error);
      },
    });
  }

  /** Shows a problem of a change made here. */
  fail(error: unknown): ApiProblem {
    const problem = describeProblem(error);
    this.problem.set(problem.message ? problem : null);
    return problem;
  }

  private read(window: Observable<TaskPage>, segment: number, kind: 'first' | 'more'): void {
    window.subscribe({
      next: (page) => {
        this.loaded.update((tasks) => merged(tasks, page.tasks));
        this.status.set('ready');
        this.advance(page, segment);
      },
      error: (error: unknown) => {
        const problem = describeProblem(error);
        this.problem.set({ ...problem, message: problem.message || 'The tasks could not be loaded.' });
        if (kind === 'first') {
          this.status.set('failed');
        }
      },
    });
  }

  /** After a window: its list's next one, else the next list (read at once), else the end. */
  private advance(page: TaskPage, segment: number): void {
    if (page.next) {
      this.cursor.set({ segment, next: page.next, gone: 0 });
      return;
    }
    const following = segment + 1;
    const segments = SEGMENTS[this.filter()];
    this.cursor.set(null);
    if (following < segments.length) {
      this.read(this.service.firstPage(segments[following]), following, 'more');
    }
  }

  private replace(task: Task): void {
    this.loaded.update((tasks) => tasks.map((t) => (t.id === task.id ? task : t)));
  }

  /**
   * A loaded task left the list being paged (deleted, or moved between open and done):
   * every later task moved up one place on the server, so the next window starts one
   * earlier, lest one be skipped. Tasks seen twice are merged by id.
   */
  private leaveList(task: Task): void {
    const cursor = this.cursor();
    if (cursor && SEGMENTS[this.filter()][cursor.segment] === task.completed) {
      this.cursor.set({ ...cursor, gone: cursor.gone + 1 });
    }
  }
}

function byShownOrder(a: Task, b: Task): number {
  if (a.completed !== b.completed) {
    return a.completed ? 1 : -1;
  }
  const ascending = a.due_date.localeCompare(b.due_date) || a.id - b.id;
  return a.completed ? -ascending : ascending;
}

/** `loaded` with `page`'s tasks: new ones added, known ones replaced by their fresher copy. */
function merged(loaded: readonly Task[], page: readonly Task[]): readonly Task[] {
  const byId = new Map(loaded.map((task) => [task.id, task]));
  for (const task of page) {
    byId.set(task.id, task);
  }
  return [...byId.values()];
}

/** `next` with its `offset` moved back by `gone`. */
function shifted(next: string, gone: number): string {
  if (gone === 0) {
    return next;
  }
  const url = new URL(next);
  const offset = Number(url.searchParams.get('offset') ?? 0);
  url.searchParams.set('offset', String(Math.max(0, offset - gone)));
  return url.toString();
}
