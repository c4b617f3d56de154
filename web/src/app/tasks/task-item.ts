import { Component, computed, ElementRef, inject, input, output } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatCheckboxChange, MatCheckboxModule } from '@angular/material/checkbox';

import { formatIsoDate } from '../core/local-date';
import { Task } from './task.model';

/** One task: ticked off with its checkbox; its dates the person's way; edit and delete. */
@Component({
  selector: 'app-task-item',
  imports: [MatButtonModule, MatCheckboxModule],
  host: {
    class: 'task',
    '[class.done]': 'task().completed',
    '[class.overdue]': 'overdue()',
    '[attr.data-task-id]': 'task().id',
  },
  template: `
    <mat-checkbox class="check" [checked]="task().completed" (change)="toggled($event)">
      <span class="title">{{ task().title }}</span>
    </mat-checkbox>
    <div class="details">
      @if (task().content) {
        <p class="content">{{ task().content }}</p>
      }
      <p class="dates">
        <span class="due">Due {{ dueOn() }}</span>
        @if (overdue()) {
          <span class="overdue-mark">Overdue</span>
        }
        <span class="created">Added {{ createdOn() }}</span>
      </p>
    </div>
    <div class="actions">
      <button matButton type="button" class="edit" [attr.aria-label]="editName()" (click)="edit.emit()">Edit</button>
      <button matButton type="button" class="delete" [attr.aria-label]="deleteName()" (click)="delete.emit()">
        Delete
      </button>
    </div>
  `,
})
export class TaskItem {
  readonly task = input.required<Task>();
  /** The person's today, `YYYY-MM-DD`. */
  readonly today = input.required<string>();
  readonly completedChange = output<boolean>();
  readonly edit = output<void>();
  readonly delete = output<void>();

  private readonly host: HTMLElement = inject(ElementRef).nativeElement;

  protected readonly dueOn = computed(() => formatIsoDate(this.task().due_date));
  protected readonly createdOn = computed(() => formatIsoDate(this.task().created_on));
  protected readonly overdue = computed(() => !this.task().completed && this.task().due_date < this.today());
  protected readonly editName = computed(() => `Edit '${this.task().title}'`);
  protected readonly deleteName = computed(() => `Delete '${this.task().title}'`);

  /**
   * The box keeps the person's click (the board takes the change at once), and follows the
   * task when it changes back because the API refused.
   */
  protected toggled(change: MatCheckboxChange): void {
    this.completedChange.emit(change.checked);
  }

  /** Puts the keyboard focus on this task's checkbox. */
  focus(): void {
    this.host.querySelector<HTMLElement>('input[type="checkbox"]')?.focus();
  }
}
