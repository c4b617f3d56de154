import { Component, inject, OnInit, signal } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { AuthService } from '@auth0/auth0-angular';

import { describeProblem } from '../core/api-error';
import { User } from './user.model';
import { UserService } from './user.service';

/** Who you are: the ID token's name and email, and the API's user row. */
@Component({
  selector: 'app-profile',
  template: `
    <h2>Profile</h2>
    @if (identity(); as identity) {
      <dl class="identity">
        <dt>Name</dt>
        <dd class="name">{{ identity.name }}</dd>
        <dt>Email</dt>
        <dd class="email">{{ identity.email }}</dd>
      </dl>
    }
    @if (problem(); as problem) {
      <p class="problem" role="alert">{{ problem }}</p>
    }
    @if (user(); as user) {
      <dl class="api-user">
        <dt>Username</dt>
        <dd class="username">{{ user.username }}</dd>
        <dt>Subject</dt>
        <dd>{{ user.sub }}</dd>
        <dt>Joined</dt>
        <dd>{{ user.date_joined }}</dd>
      </dl>
    }
  `,
})
export class Profile implements OnInit {
  private readonly users = inject(UserService);
  protected readonly identity = toSignal(inject(AuthService).user$);
  protected readonly user = signal<User | null>(null);
  protected readonly problem = signal('');

  ngOnInit(): void {
    this.users.me().subscribe({
      next: (user) => this.user.set(user),
      error: (error: unknown) => this.problem.set(describeProblem(error).message),
    });
  }
}
