import { provideHttpClient, withInterceptors } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { EnvironmentProviders, Provider } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { MATERIAL_ANIMATIONS, provideNativeDateAdapter } from '@angular/material/core';
import { provideRouter } from '@angular/router';
import { AuthService } from '@auth0/auth0-angular';

import { RUNTIME_CONFIG, RuntimeConfig } from '../app/config/runtime-config';
import { Task } from '../app/tasks/task.model';

/** What the component and service tests share: a config, HTTP through the testing controller. */
export const TEST_CONFIG: RuntimeConfig = {
  domain: 'https://issuer.test',
  clientId: 'spa',
  audience: 'https://todo-api',
  apiUrl: 'https://api.test',
  useDpop: true,
};

export const TASKS_URL = `${TEST_CONFIG.apiUrl}/api/task/`;

/** AuthService's members the app uses, as spies. */
export function fakeAuth(overrides: Partial<Record<keyof AuthService, unknown>> = {}): Partial<AuthService> {
  return { loginWithRedirect: vi.fn(), ...overrides } as Partial<AuthService>;
}

export function setUpApp(...providers: (Provider | EnvironmentProviders)[]): HttpTestingController {
  TestBed.configureTestingModule({
    providers: [
      provideHttpClient(withInterceptors([])),
      provideHttpClientTesting(),
      provideRouter([]),
      provideNativeDateAdapter(),
      // jsdom runs no CSS animations: Material's overlays close at once.
      { provide: MATERIAL_ANIMATIONS, useValue: { animationsDisabled: true } },
      { provide: RUNTIME_CONFIG, useValue: TEST_CONFIG },
      { provide: AuthService, useValue: fakeAuth() },
      ...providers,
    ],
  });
  return TestBed.inject(HttpTestingController);
}

let nextId = 1;
export function aTask(changes: Partial<Task> = {}): Task {
  const id = nextId++;
  return {
    id,
    title: `Task ${id}`,
    content: 'content',
    created_on: '2026-12-01',
    due_date: '2026-12-24',
    completed: false,
    ...changes,
  };
}
