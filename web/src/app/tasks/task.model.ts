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

/** What the form sends (OpenAPI schema `TaskCreate`); a date left empty is not sent. */
export interface TaskInput {
  readonly title: string;
  readonly content: string;
  readonly due_date?: string;
}
