import { Component, inject, input, output } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { Router } from '@angular/router';
import { AuthService } from '@auth0/auth0-angular';

import { ApiProblem } from './api-error';

/**
 * A problem, said once (the page's one assertive live region), with the way out: "Log in
 * again" when the session ended (back to this page after), "Try again" when the caller
 * can retry.
 */
@Component({
  selector: 'app-problem-notice',
  imports: [MatButtonModule],
  template: `
    <div class="problem" role="alert">
      <p class="message">{{ problem().message }}</p>
      @if (problem().reauthenticate) {
        <button matButton="tonal" type="button" (click)="logInAgain()">Log in again</button>
      } @else if (retryable()) {
        <button matButton="tonal" type="button" (click)="retry.emit()">Try again</button>
      }
    </div>
  `,
})
export class ProblemNotice {
  private readonly auth = inject(AuthService);
  private readonly router = inject(Router);

  readonly problem = input.required<ApiProblem>();
  readonly retryable = input(false);
  readonly retry = output<void>();

  protected logInAgain(): void {
    this.auth.loginWithRedirect({ appState: { target: this.router.url } });
  }
}
