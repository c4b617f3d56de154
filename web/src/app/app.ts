import { DOCUMENT } from '@angular/common';
import { Component, inject } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { RouterLink, RouterOutlet } from '@angular/router';
import { AuthService } from '@auth0/auth0-angular';

/** The shell: who is logged in, log in and out, and the pages. */
@Component({
  selector: 'app-root',
  imports: [RouterLink, RouterOutlet],
  template: `
    <header>
      <h1>Todo</h1>
      @if (isAuthenticated()) {
        <nav>
          <a routerLink="/">Tasks</a>
          <a routerLink="/profile">Profile</a>
        </nav>
        <span class="who">{{ user()?.name }}</span>
        <button type="button" class="logout" (click)="logOut()">Log out</button>
      } @else {
        <button type="button" class="login" (click)="logIn()">Log in</button>
      }
    </header>
    @if (authError(); as error) {
      <p class="problem" role="alert">Login failed: {{ error.message }}</p>
    }
    <main>
      @if (isAuthenticated()) {
        <router-outlet />
      } @else if (!isLoading()) {
        <p class="welcome">Log in to see your tasks.</p>
      }
    </main>
  `,
})
export class App {
  private readonly auth = inject(AuthService);
  private readonly origin = inject(DOCUMENT).location.origin;

  protected readonly isAuthenticated = toSignal(this.auth.isAuthenticated$, { initialValue: false });
  protected readonly isLoading = toSignal(this.auth.isLoading$, { initialValue: true });
  protected readonly user = toSignal(this.auth.user$);
  protected readonly authError = toSignal(this.auth.error$);

  protected logIn(): void {
    this.auth.loginWithRedirect();
  }

  protected logOut(): void {
    this.auth.logout({ logoutParams: { returnTo: this.origin } });
  }
}
