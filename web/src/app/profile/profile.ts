import { Component, computed, inject, OnInit, signal } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { MatCardModule } from '@angular/material/card';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { AuthService } from '@auth0/auth0-angular';

import { ApiProblem, describeProblem } from '../core/api-error';
import { formatInstant } from '../core/local-date';
import { ProblemNotice } from '../core/problem-notice';
import { User } from './user.model';
import { UserService } from './user.service';

/** Who you are: the ID token's name and email, and the API's user row. */
@Component({
  selector: 'app-profile',
  imports: [MatCardModule, MatProgressBarModule, ProblemNotice],
  template: `
    <h2>Profile</h2>
    @if (identity(); as identity) {
      <mat-card appearance="outlined">
        <mat-card-content>
          <dl class="identity">
            <dt>Name</dt>
            <dd class="name">{{ identity.name }}</dd>
            <dt>Email</dt>
            <dd class="email">{{ identity.email }}</dd>
          </dl>
        </mat-card-content>
      </mat-card>
    }
    @if (problem(); as problem) {
      <app-problem-notice [problem]="problem" [retryable]="true" (retry)="load()" />
    } @else if (user(); as user) {
      <mat-card appearance="outlined">
        <mat-card-content>
          <dl class="api-user">
            <dt>Username</dt>
            <dd class="username">{{ user.username }}</dd>
            <dt>Subject</dt>
            <dd>{{ user.sub }}</dd>
            <dt>Joined</dt>
            <dd>{{ joined() }}</dd>
          </dl>
        </mat-card-content>
      </mat-card>
    } @else {
      <mat-progress-bar mode="indeterminate" aria-label="Loading your profile" />
    }
  `,
})
export class Profile implements OnInit {
  private readonly users = inject(UserService);
  protected readonly identity = toSignal(inject(AuthService).user$);
  protected readonly user = signal<User | null>(null);
  protected readonly joined = computed(() => {
    const user = this.user();
    return user ? formatInstant(user.date_joined) : '';
  });
  protected readonly problem = signal<ApiProblem | null>(null);

  ngOnInit(): void {
    this.load();
  }

  protected load(): void {
    this.problem.set(null);
    this.users.me().subscribe({
      next: (user) => this.user.set(user),
      error: (error: unknown) => this.problem.set(describeProblem(error)),
    });
  }
}
