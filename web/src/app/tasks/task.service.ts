import { HttpClient } from '@angular/common/http';
import { inject, Injectable } from '@angular/core';
import { Observable } from 'rxjs';

import { RUNTIME_CONFIG } from '../config/runtime-config';
import { Task, TaskInput } from './task.model';

/** `/api/task/`: the caller's todo list. */
@Injectable({ providedIn: 'root' })
export class TaskService {
  private readonly http = inject(HttpClient);
  private readonly base = `${inject(RUNTIME_CONFIG).apiUrl}/api/task/`;

  list(): Observable<Task[]> {
    return this.http.get<Task[]>(this.base);
  }

  create(task: TaskInput): Observable<Task> {
    return this.http.post<Task>(this.base, task);
  }

  update(id: number, task: TaskInput): Observable<Task> {
    return this.http.patch<Task>(`${this.base}${id}/`, task);
  }

  remove(id: number): Observable<void> {
    return this.http.delete<void>(`${this.base}${id}/`);
  }
}
