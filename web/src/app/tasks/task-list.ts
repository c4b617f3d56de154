import {
  afterNextRender,
  Component,
  computed,
  DestroyRef,
  ElementRef,
  inject,
  Injector,
  OnInit,
  signal,
  viewChild,
  viewChildren,
  ViewContainerRef,
} from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatButtonToggleChange, MatButtonToggleModule } from '@angular/material/button-toggle';
import { provideNativeDateAdapter } from '@angular/material/core';
import { MatDialog } from '@angular/material/dialog';
import { MAT_FORM_FIELD_DEFAULT_OPTIONS, MatFormFieldDefaultOptions } from '@angular/material/form-field';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { MatSnackBar } from '@angular/material/snack-bar';

import { FieldErrors } from '../core/api-error';
import { ProblemNotice } from '../core/problem-notice';
import { UndoSnackBar } from '../core/undo-snack-bar';
import { TaskBoard } from './task-board';
import { TaskEditDialog } from './task-edit-dialog';
import { TaskForm } from './task-form';
import { TaskItem } from './task-item';
import { Task, TaskFilter, TaskInput } from './task.model';

/** How long a deleted task can be taken back before the delete is sent. */
const UNDO_MILLIS = 6000;

const EMPTY_MESSAGES: Readonly<Record<TaskFilter, string>> = {
  all: 'No tasks yet. Add one above.',
  open: 'Nothing open: all done.',
  done: 'No done tasks yet.',
};

/** The caller's tasks: add, tick off, filter, edit, delete with undo, page through. */
@Component({
  selector: 'app-task-list',
  imports: [MatButtonModule, MatButtonToggleModule, MatProgressBarModule, ProblemNotice, TaskForm, TaskItem],
  providers: [
    TaskBoard,
    // Here, not in the app's config, so the date picker loads with this page only.
    provideNativeDateAdapter(),
    // A field's messages push what follows down rather than overlap it.
    { provide: MAT_FORM_FIELD_DEFAULT_OPTIONS, useValue: { subscriptSizing: 'dynamic' } satisfies MatFormFieldDefaultOptions },
  ],
  template: `
    <h2 #heading tabindex="-1">My tasks</h2>
    <section class="new-task" aria-label="New task">
      <app-task-form #createForm [errors]="createErrors()" [busy]="creating()" (saved)="create($event)" />
    </section>
    <section class="list" aria-label="Task list">
      <mat-button-toggle-group
        class="filter"
        aria-label="Show"
        hideSingleSelectionIndicator
        [value]="board.filter()"
        (change)="show($event)"
      >
        <mat-button-toggle value="all">All</mat-button-toggle>
        <mat-button-toggle value="open">Open</mat-button-toggle>
        <mat-button-toggle value="done">Done</mat-button-toggle>
      </mat-button-toggle-group>
      @if (board.problem(); as problem) {
        <app-problem-notice [problem]="problem" [retryable]="canRetry()" (retry)="board.reload()" />
      }
      @if (isLoading()) {
        <mat-progress-bar mode="indeterminate" aria-label="Loading tasks" />
      }
      @if (board.isEmpty()) {
        <p class="empty">{{ emptyMessage() }}</p>
      }
      <ul class="tasks">
        @for (task of board.tasks(); track task.id) {
          <li>
            <app-task-item
              [task]="task"
              [today]="board.today()"
              (completedChange)="setCompleted(task, $event)"
              (edit)="edit(task)"
              (delete)="remove(task)"
            />
          </li>
        }
      </ul>
      @if (board.hasMore()) {
        <button matButton="outlined" type="button" class="load-more" [disabled]="board.loadingMore()" (click)="board.loadMore()">
          Load more
        </button>
      }
    </section>
  `,
})
export class TaskList implements OnInit {
  protected readonly board = inject(TaskBoard);
  private readonly dialog = inject(MatDialog);
  private readonly snackBar = inject(MatSnackBar);
  private readonly injector = inject(Injector);
  private readonly destroyRef = inject(DestroyRef);
  private readonly viewContainerRef = inject(ViewContainerRef);
  private readonly createForm = viewChild.required<TaskForm>('createForm');
  private readonly heading = viewChild.required<ElementRef<HTMLElement>>('heading');
  private readonly items = viewChildren(TaskItem);

  protected readonly createErrors = signal<FieldErrors>({});
  protected readonly creating = signal(false);
  protected readonly isLoading = computed(() => this.board.status() === 'loading' || this.board.loadingMore());
  protected readonly canRetry = computed(() => this.board.status() === 'failed');
  protected readonly emptyMessage = computed(() => EMPTY_MESSAGES[this.board.filter()]);

  ngOnInit(): void {
    this.board.show('all');
  }

  protected show(change: MatButtonToggleChange): void {
    this.board.show(change.value as TaskFilter);
  }

  protected create(input: TaskInput): void {
    // A second click can come before the button shows it is disabled.
    if (this.creating()) {
      return;
    }
    this.creating.set(true);
    this.board.create(input).subscribe({
      next: () => {
        this.creating.set(false);
        this.createErrors.set({});
        this.createForm().reset();
      },
      error: (error: unknown) => {
        this.creating.set(false);
        this.createErrors.set(this.board.fail(error).fieldErrors);
      },
    });
  }

  protected setCompleted(task: Task, completed: boolean): void {
    const index = this.indexOf(task);
    this.board.setCompleted(task, completed);
    // Under "All" the task moves (open ones first), and moving its row takes the focus
    // away: it goes back to it. Under "Open" or "Done" it leaves: the next one gets it.
    this.keepFocus(index, task);
  }

  protected edit(task: Task): void {
    this.dialog.open(TaskEditDialog, {
      data: task,
      viewContainerRef: this.viewContainerRef,
      width: '32rem',
      maxWidth: 'calc(100vw - 2rem)',
      autoFocus: 'first-tabbable',
      restoreFocus: true,
    });
  }

  /**
   * Takes the task off the list at once and offers Undo; the delete is sent only when the
   * snack bar closes without it.
   */
  protected remove(task: Task): void {
    const index = this.indexOf(task);
    this.board.hide(task);
    const undo = this.snackBar.openFromComponent(UndoSnackBar, {
      data: `Deleted '${task.title}'`,
      duration: UNDO_MILLIS,
      politeness: 'polite',
    });
    // The snack bar outlives the page: a delete not taken back goes out even after the
    // person moved on to another page.
    undo.afterDismissed().subscribe(({ dismissedByAction }) => {
      if (dismissedByAction) {
        this.board.restore(task);
      } else {
        this.board.deleteForGood(task);
      }
      if (this.destroyRef.destroyed) {
        return;
      }
      if (dismissedByAction) {
        afterNextRender(() => this.itemFor(task)?.focus(), { injector: this.injector });
      } else {
        this.keepFocus(index);
      }
    });
  }

  private indexOf(task: Task): number {
    return this.board.tasks().findIndex((t) => t.id === task.id);
  }

  private itemFor(task: Task): TaskItem | undefined {
    return this.items().find((item) => item.task().id === task.id);
  }

  /**
   * If the focus was lost (its element left the page or moved), it goes to `task` when it
   * is still shown, else to the task now at `index`, else to the heading.
   */
  private keepFocus(index: number, task?: Task): void {
    afterNextRender(
      () => {
        const active = document.activeElement;
        if (active && active !== document.body && active.isConnected) {
          return;
        }
        const items = this.items();
        const next = (task && this.itemFor(task)) ?? items[Math.min(index, items.length - 1)];
        if (next) {
          next.focus();
        } else {
          this.heading().nativeElement.focus();
        }
      },
      { injector: this.injector },
    );
  }
}
