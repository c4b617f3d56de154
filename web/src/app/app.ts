import { DOCUMENT } from '@angular/common';
import { Component, computed, inject } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { MatButtonModule } from '@angular/material/button';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { MatToolbarModule } from '@angular/material/toolbar';
import { RouterLink, RouterLinkActive, RouterOutlet } from '@angular/router';
import { AuthService } from '@auth0/auth0-angular';

/** The shell: who is logged in, log in and out, and the pages. */
@Component({
  selector: 'app-root',
  imports: [MatButtonModule, MatProgressBarModule, MatToolbarModule, RouterLink, RouterLinkActive, RouterOutlet],
  template: `
    <header>
      <mat-toolbar class="app-bar">
      <h1 class="app-title">Todo</h1>
      @if (isAuthenticated()) {
        <nav aria-label="Pages">
          <a matButton routerLink="/" routerLinkActive="active" ariaCurrentWhenActive="page" [routerLinkActiveOptions]="exact">Tasks</a>
          <a matButton routerLink="/profile" routerLinkActive="active" ariaCurrentWhenActive="page">Profile</a>
        </nav>
        <span class="who">{{ userName() }}</span>
        <button matButton="outlined" type="button" class="logout" (click)="logOut()">Log out</button>
      } @else if (!isLoading()) {
        <button matButton="filled" type="button" class="login" (click)="logIn()">Log in</button>
      }
      </mat-toolbar>
    </header>
    <main>
      @if (loginProblem(); as problem) {
        <p class="problem" role="alert">Login failed: {{ problem }}</p>
      }
      @if (isAuthenticated()) {
        <router-outlet />
      } @else if (isLoading()) {
        <mat-progress-bar mode="indeterminate" aria-label="Signing in" />
      } @else {
        <section class="welcome">
          <h2>Your tasks, wherever you are</h2>
          <p>Log in to see your tasks.</p>
        </section>
      }
    </main>
  `,
})
export class App {
  private readonly auth = inject(AuthService);
  private readonly origin = inject(DOCUMENT).location.origin;

  protected readonly isAuthenticated = toSignal(this.auth.isAuthenticated$, { initialValue: false });
  protected readonly isLoading = toSignal(this.auth.isLoading$, { initialValue: true });
  private readonly user = toSignal(this.auth.user$);
  private readonly authError = toSignal(this.auth.error$);
  protected readonly userName = computed(() => this.user()?.name ?? '');
  /** The SDK replays its last error: it matters only until a login succeeds. */
  protected readonly loginProblem = computed(() => (this.isAuthenticated() ? null : (this.authError()?.message ?? null)));
  protected readonly exact = { exact: true };

  protected logIn(): void {
    this.auth.loginWithRedirect();
  }

  protected logOut(): void {
    this.auth.logout({ logoutParams: { returnTo: this.origin } });
  }
}
