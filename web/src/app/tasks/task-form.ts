import { Component, effect, input, output } from '@angular/core';
import { FormControl, FormGroup, ReactiveFormsModule } from '@angular/forms';

import { FieldErrors } from '../core/api-error';
import { Task, TaskInput } from './task.model';

/** The fields of a task, with the API's messages beside each field. */
@Component({
  selector: 'app-task-form',
  imports: [ReactiveFormsModule],
  template: `
    <form [formGroup]="form" (ngSubmit)="submit()" class="task-form">
      <label>
        Title
        <input formControlName="title" name="title" autocomplete="off" />
      </label>
      @for (message of errors()['title']; track message) {
        <p class="field-error" data-field="title" role="alert">{{ message }}</p>
      }
      <label>
        Content
        <input formControlName="content" name="content" autocomplete="off" />
      </label>
      @for (message of errors()['content']; track message) {
        <p class="field-error" data-field="content" role="alert">{{ message }}</p>
      }
      <label>
        Due date
        <input formControlName="due_date" name="due_date" type="date" />
      </label>
      @for (message of errors()['due_date']; track message) {
        <p class="field-error" data-field="due_date" role="alert">{{ message }}</p>
      }
      @for (message of errors()['non_field_errors']; track message) {
        <p class="field-error" role="alert">{{ message }}</p>
      }
      <div class="actions">
        <button type="submit">{{ submitLabel() }}</button>
        @if (cancellable()) {
          <button type="button" (click)="cancelled.emit()">Cancel</button>
        }
      </div>
    </form>
  `,
})
export class TaskForm {
  readonly task = input<Task | null>(null);
  readonly errors = input<FieldErrors>({});
  readonly submitLabel = input('Add task');
  readonly cancellable = input(false);
  readonly saved = output<TaskInput>();
  readonly cancelled = output<void>();

  protected readonly form = new FormGroup({
    title: new FormControl('', { nonNullable: true }),
    content: new FormControl('', { nonNullable: true }),
    due_date: new FormControl('', { nonNullable: true }),
  });

  constructor() {
    effect(() => {
      const task = this.task();
      if (task) {
        this.form.setValue({ title: task.title, content: task.content, due_date: task.due_date });
      }
    });
  }

  /** Sends what was typed, verbatim: the API validates and says what is wrong. */
  protected submit(): void {
    const { title, content, due_date } = this.form.getRawValue();
    this.saved.emit(due_date ? { title, content, due_date } : { title, content });
  }

  /** Empties the fields after a task was added. */
  reset(): void {
    this.form.reset();
  }
}
