/** A task as the API returns it (OpenAPI schema `Task`). */
export interface Task {
  readonly id: number;
  readonly title: string;
  readonly content: string;
  /** `YYYY-MM-DD` */
  readonly created_on: string;
  /** `YYYY-MM-DD` */
  readonly due_date: string;
  /** Done, or still open. */
  readonly completed: boolean;
}

/** What the form sends (OpenAPI schema `TaskCreate`); the app always sends a due date. */
export interface TaskInput {
  readonly title: string;
  readonly content: string;
  /** `YYYY-MM-DD` */
  readonly due_date: string;
}

/** A change to a task (OpenAPI schema `TaskPatch`). */
export type TaskPatch = Partial<TaskInput & Pick<Task, 'completed'>>;

/** One window of a list, and where the next one is (`Link: rel="next"`). */
export interface TaskPage {
  readonly tasks: readonly Task[];
  readonly next: string | null;
}

/** Which tasks the list shows. */
export type TaskFilter = 'all' | 'open' | 'done';
