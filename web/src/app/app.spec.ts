import { TestBed } from '@angular/core/testing';
import { AuthService } from '@auth0/auth0-angular';
import { BehaviorSubject, of } from 'rxjs';

import { fakeAuth, setUpApp } from '../testing/app-testing';
import { App } from './app';

describe('App', () => {
  it('shows a login failure until a login succeeds, though the SDK replays its last error', async () => {
    const isAuthenticated = new BehaviorSubject(false);
    setUpApp({
      provide: AuthService,
      useValue: fakeAuth({
        isAuthenticated$: isAuthenticated,
        isLoading$: of(false),
        user$: of({ name: 'alice' }),
        // A ReplaySubject in the SDK: the failure is still its last value after the login.
        error$: new BehaviorSubject(new Error('Missing required parameter: code_challenge')),
      }),
    });
    const fixture = TestBed.createComponent(App);
    await fixture.whenStable();
    const element: HTMLElement = fixture.nativeElement;
    expect(element.querySelector('[role="alert"]')?.textContent).toContain('Login failed: Missing required parameter');
    expect(element.textContent).toContain('Log in to see your tasks.');

    isAuthenticated.next(true);
    await fixture.whenStable();
    expect(element.querySelector('[role="alert"]')).toBeNull();
    expect(element.querySelector('.who')?.textContent).toBe('alice');
  });
});
