import { Component, inject, signal } from '@angular/core';
import { MAT_DIALOG_DATA, MatDialogModule, MatDialogRef } from '@angular/material/dialog';

import { ApiProblem, describeProblem, FieldErrors } from '../core/api-error';
import { ProblemNotice } from '../core/problem-notice';
import { TaskBoard } from './task-board';
import { TaskForm } from './task-form';
import { Task, TaskInput } from './task.model';

/**
 * Edits a task in a dialog: focus stays inside while it is open and goes back to the
 * task's Edit button when it closes (saved or cancelled).
 */
@Component({
  selector: 'app-task-edit-dialog',
  imports: [MatDialogModule, ProblemNotice, TaskForm],
  template: `
    <h2 mat-dialog-title>Edit task</h2>
    <mat-dialog-content>
      @if (problem(); as problem) {
        <app-problem-notice [problem]="problem" />
      }
      <app-task-form
        [task]="task"
        [errors]="errors()"
        [busy]="busy()"
        submitLabel="Save"
        [cancellable]="true"
        (saved)="save($event)"
        (cancelled)="dialog.close()"
      />
    </mat-dialog-content>
  `,
})
export class TaskEditDialog {
  protected readonly task = inject<Task>(MAT_DIALOG_DATA);
  /** The page's board: the dialog is opened in the page's view container. */
  private readonly board = inject(TaskBoard);
  protected readonly dialog = inject<MatDialogRef<TaskEditDialog, Task>>(MatDialogRef);
  protected readonly errors = signal<FieldErrors>({});
  protected readonly problem = signal<ApiProblem | null>(null);
  protected readonly busy = signal(false);

  protected save(input: TaskInput): void {
    if (this.busy()) {
      return;
    }
    this.busy.set(true);
    this.board.update(this.task, input).subscribe({
      next: (saved) => this.dialog.close(saved),
      error: (error: unknown) => {
        const problem = describeProblem(error);
        this.busy.set(false);
        this.errors.set(problem.fieldErrors);
        this.problem.set(problem.message ? problem : null);
      },
    });
  }
}
