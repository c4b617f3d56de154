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
      @for (field of fields; track field.name) {
        <label>
          {{ field.label }}
          <input [formControlName]="field.name" [name]="field.name" [type]="field.type" autocomplete="off" />
        </label>
        @for (message of errors()[field.name]; track message) {
          <p class="field-error" [attr.data-field]="field.name" role="alert">{{ message }}</p>
        }
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

  /** The form's fields, in order, named as the API names them. */
  protected readonly fields: readonly { name: keyof TaskInput; label: string; type: string }[] = [
    { name: 'title', label: 'Title', type: 'text' },
    { name: 'content', label: 'Content', type: 'text' },
    { name: 'due_date', label: 'Due date', type: 'date' },
  ];

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
