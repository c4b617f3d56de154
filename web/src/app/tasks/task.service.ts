import { HttpClient, HttpParams, HttpResponse } from '@angular/common/http';
import { inject, Injectable } from '@angular/core';
import { map, Observable } from 'rxjs';

import { RUNTIME_CONFIG } from '../config/runtime-config';
import { nextLink } from '../core/link-header';
import { Task, TaskInput, TaskPage, TaskPatch } from './task.model';

/** Tasks per request: a screenful or two; the rest comes with "Load more". */
export const PAGE_SIZE = 50;

/** `/api/task/`: the caller's todo list. */
@Injectable({ providedIn: 'root' })
export class TaskService {
  private readonly http = inject(HttpClient);
  private readonly base = `${inject(RUNTIME_CONFIG).apiUrl}/api/task/`;

  /**
   * The first window of the open (soonest due first) or the done tasks (latest due
   * first), which is how the app shows them.
   */
  firstPage(completed: boolean): Observable<TaskPage> {
    const params = new HttpParams()
      .set('completed', completed)
      .set('ordering', completed ? '-due_date' : 'due_date')
      .set('limit', PAGE_SIZE);
    return this.page(this.base, params);
  }

  /** The window a `Link: rel="next"` named, as the API wrote it. */
  nextPage(url: string): Observable<TaskPage> {
    return this.page(url);
  }

  create(task: TaskInput): Observable<Task> {
    return this.http.post<Task>(this.base, task);
  }

  update(id: number, change: TaskPatch): Observable<Task> {
    return this.http.patch<Task>(`${this.base}${id}/`, change);
  }

  remove(id: number): Observable<void> {
    return this.http.delete<void>(`${this.base}${id}/`);
  }

  private page(url: string, params?: HttpParams): Observable<TaskPage> {
    return this.http
      .get<Task[]>(url, { params, observe: 'response' })
      .pipe(map((response: HttpResponse<Task[]>) => ({ tasks: response.body ?? [], next: nextLink(response.headers.get('Link')) })));
  }
}
