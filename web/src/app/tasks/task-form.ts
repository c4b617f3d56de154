import { afterNextRender, Component, computed, effect, ElementRef, inject, Injector, input, output, signal, viewChild } from '@angular/core';
import { FormControl, FormGroup, ReactiveFormsModule, ValidationErrors } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatDatepickerModule } from '@angular/material/datepicker';
import { MatInputModule } from '@angular/material/input';

import { FieldErrors } from '../core/api-error';
import { fromIsoDate, localToday, toIsoDate } from '../core/local-date';
import { Task, TaskInput } from './task.model';

type FieldName = keyof TaskInput;

/** Said when the date field holds something that is not a date. */
const UNREADABLE_DATE = 'Enter a date such as 12/24/2026, or pick one.';

/**
 * The fields of a task, with the API's messages under each field (linked to it by
 * `aria-describedby`, and `aria-invalid` set, by Material's form field).
 */
@Component({
  selector: 'app-task-form',
  imports: [ReactiveFormsModule, MatButtonModule, MatDatepickerModule, MatInputModule],
  template: `
    <form [formGroup]="form" (ngSubmit)="submit()" class="task-form" [attr.aria-describedby]="formDescribedBy()">
      <mat-form-field>
        <mat-label>Title</mat-label>
        <input #title matInput formControlName="title" name="title" autocomplete="off" />
        @for (message of form.controls.title.errors?.['server']; track message) {
          <mat-error>{{ message }}</mat-error>
        }
      </mat-form-field>
      <mat-form-field>
        <mat-label>Content</mat-label>
        <input matInput formControlName="content" name="content" autocomplete="off" />
        @for (message of form.controls.content.errors?.['server']; track message) {
          <mat-error>{{ message }}</mat-error>
        }
      </mat-form-field>
      <mat-form-field>
        <mat-label>Due date</mat-label>
        <input matInput [matDatepicker]="picker" formControlName="due_date" name="due_date" autocomplete="off" />
        <mat-datepicker-toggle matIconSuffix [for]="picker" />
        <mat-datepicker #picker />
        @if (form.controls.due_date.hasError('matDatepickerParse')) {
          <mat-error>{{ unreadableDate }}</mat-error>
        }
        @for (message of form.controls.due_date.errors?.['server']; track message) {
          <mat-error>{{ message }}</mat-error>
        }
      </mat-form-field>
      @if (formErrors().length > 0) {
        <div class="form-errors" [id]="formErrorId">
          @for (message of formErrors(); track message) {
            <p class="field-error">{{ message }}</p>
          }
        </div>
      }
      <div class="actions">
        <button matButton="filled" type="submit" [disabled]="busy()">{{ submitLabel() }}</button>
        @if (cancellable()) {
          <button matButton type="button" (click)="cancelled.emit()">Cancel</button>
        }
      </div>
    </form>
  `,
})
export class TaskForm {
  readonly task = input<Task | null>(null);
  readonly errors = input<FieldErrors>({});
  /** A request is in flight: the form cannot be sent again (no duplicates). */
  readonly busy = input(false);
  readonly submitLabel = input('Add task');
  readonly cancellable = input(false);
  readonly saved = output<TaskInput>();
  readonly cancelled = output<void>();

  private readonly titleInput = viewChild.required<ElementRef<HTMLInputElement>>('title');
  private readonly host: HTMLElement = inject(ElementRef).nativeElement;
  private readonly injector = inject(Injector);
  private static nextId = 0;
  protected readonly formErrorId = `task-form-errors-${TaskForm.nextId++}`;
  protected readonly unreadableDate = UNREADABLE_DATE;
  /** The API's messages about no one field (DRF's `non_field_errors` and the like). */
  protected readonly formErrors = signal<readonly string[]>([]);
  protected readonly formDescribedBy = computed(() => (this.formErrors().length > 0 ? this.formErrorId : null));

  protected readonly form = new FormGroup({
    title: new FormControl('', { nonNullable: true }),
    content: new FormControl('', { nonNullable: true }),
    due_date: new FormControl<Date | null>(fromIsoDate(localToday())),
  });

  constructor() {
    effect(() => {
      const task = this.task();
      if (task) {
        this.form.setValue({ title: task.title, content: task.content, due_date: fromIsoDate(task.due_date) });
      }
    });
    effect(() => this.showServerErrors(this.errors()));
  }

  /** Sends what was typed, verbatim: the API validates and says what is wrong. */
  protected submit(): void {
    const { title, content, due_date } = this.form.getRawValue();
    if (this.busy() || this.form.controls.due_date.hasError('matDatepickerParse')) {
      this.form.markAllAsTouched();
      return;
    }
    this.saved.emit({ title, content, due_date: toIsoDate(due_date ?? new Date()) });
  }

  /** Empties the fields after a task was added (due today again) and puts the cursor in the title. */
  reset(): void {
    this.form.reset({ title: '', content: '', due_date: fromIsoDate(localToday()) });
    this.focus();
  }

  focus(): void {
    this.titleInput().nativeElement.focus();
  }

  /** The API's messages under their fields; the first field in error gets the focus. */
  private showServerErrors(errors: FieldErrors): void {
    const fields: FieldName[] = ['title', 'content', 'due_date'];
    for (const name of fields) {
      const control = this.form.controls[name];
      const messages = errors[name];
      control.setErrors(messages?.length ? { ...withoutServer(control.errors), server: messages } : withoutServer(control.errors));
      if (messages?.length) {
        control.markAsTouched();
      }
    }
    this.formErrors.set(Object.entries(errors).filter(([name]) => !fields.includes(name as FieldName)).flatMap(([, m]) => m));
    const firstInvalid = fields.find((name) => errors[name]?.length);
    if (firstInvalid) {
      afterNextRender(() => this.host.querySelector<HTMLElement>(`[name="${firstInvalid}"]`)?.focus(), {
        injector: this.injector,
      });
    }
  }
}

function withoutServer(errors: ValidationErrors | null): ValidationErrors | null {
  if (!errors) {
    return null;
  }
  const { server: _, ...rest } = errors;
  return Object.keys(rest).length ? rest : null;
}
