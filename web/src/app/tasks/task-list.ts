import { Component, computed, inject, OnInit, signal, viewChild } from '@angular/core';

import { ApiProblem, describeProblem, FieldErrors } from '../core/api-error';
import { TaskForm } from './task-form';
import { Task, TaskInput } from './task.model';
import { TaskService } from './task.service';

/** The caller's tasks: list, add, edit, delete. */
@Component({
  selector: 'app-task-list',
  imports: [TaskForm],
  template: `
    <h2>My tasks</h2>
    @if (problem(); as problem) {
      <p class="problem" role="alert">{{ problem.message }}</p>
    }
    <section aria-label="New task">
      <app-task-form #createForm [errors]="createErrors()" (saved)="create($event)" />
    </section>
    @if (isEmpty()) {
      <p class="empty">No tasks yet.</p>
    }
    <ul class="tasks">
      @for (task of tasks(); track task.id) {
        <li class="task" [attr.data-task-id]="task.id">
          @if (isEditing(task)) {
            <app-task-form
              [task]="task"
              [errors]="editErrors()"
              submitLabel="Save"
              [cancellable]="true"
              (saved)="update(task, $event)"
              (cancelled)="stopEditing()"
            />
          } @else {
            <span class="title">{{ task.title }}</span>
            <span class="content">{{ task.content }}</span>
            <span class="due">due {{ task.due_date }}</span>
            <button type="button" (click)="edit(task)">Edit</button>
            <button type="button" (click)="remove(task)">Delete</button>
          }
        </li>
      }
    </ul>
  `,
})
export class TaskList implements OnInit {
  private readonly service = inject(TaskService);
  private readonly createForm = viewChild.required<TaskForm>('createForm');

  protected readonly tasks = signal<readonly Task[]>([]);
  protected readonly loaded = signal(false);
  protected readonly isEmpty = computed(() => this.loaded() && this.tasks().length === 0);
  protected readonly problem = signal<ApiProblem | null>(null);
  protected readonly createErrors = signal<FieldErrors>({});
  protected readonly editErrors = signal<FieldErrors>({});
  protected readonly editingId = signal<number | null>(null);

  ngOnInit(): void {
    this.service.list().subscribe({
      next: (tasks) => {
        this.tasks.set(tasks);
        this.loaded.set(true);
        this.problem.set(null);
      },
      error: (error: unknown) => this.fail(error),
    });
  }

  protected create(input: TaskInput): void {
    this.service.create(input).subscribe({
      next: (task) => {
        this.tasks.update((tasks) => [...tasks, task]);
        this.createErrors.set({});
        this.problem.set(null);
        this.createForm().reset();
      },
      error: (error: unknown) => this.createErrors.set(this.fail(error)),
    });
  }

  protected isEditing(task: Task): boolean {
    return this.editingId() === task.id;
  }

  protected edit(task: Task): void {
    this.editErrors.set({});
    this.editingId.set(task.id);
  }

  protected stopEditing(): void {
    this.editingId.set(null);
  }

  protected update(task: Task, input: TaskInput): void {
    this.service.update(task.id, input).subscribe({
      next: (saved) => {
        this.tasks.update((tasks) => tasks.map((t) => (t.id === saved.id ? saved : t)));
        this.editingId.set(null);
        this.problem.set(null);
      },
      error: (error: unknown) => this.editErrors.set(this.fail(error)),
    });
  }

  protected remove(task: Task): void {
    this.service.remove(task.id).subscribe({
      next: () => {
        this.tasks.update((tasks) => tasks.filter((t) => t.id !== task.id));
        this.problem.set(null);
      },
      error: (error: unknown) => this.fail(error),
    });
  }

  /** Shows the problem's message, if any, and returns its field errors. */
  private fail(error: unknown): FieldErrors {
    const problem = describeProblem(error);
    this.problem.set(problem.message ? problem : null);
    return problem.fieldErrors;
  }
}
