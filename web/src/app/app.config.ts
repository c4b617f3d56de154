import { provideHttpClient, withInterceptors } from '@angular/common/http';
import { ApplicationConfig, provideBrowserGlobalErrorListeners } from '@angular/core';
import { provideRouter, Routes } from '@angular/router';
import { authHttpInterceptorFn, provideAuth0 } from '@auth0/auth0-angular';

import { RUNTIME_CONFIG, RuntimeConfig } from './config/runtime-config';
import { Profile } from './profile/profile';
import { TaskList } from './tasks/task-list';

// The shell renders pages only once someone is logged in, and offers "Log in" before:
// no page sends a person to the login page unasked.
const routes: Routes = [
  { path: '', component: TaskList, title: 'My tasks' },
  { path: 'profile', component: Profile, title: 'Profile' },
  { path: '**', redirectTo: '' },
];

/** The scopes asked for: OpenID's, a refresh token, and the quickstart's permission. */
const SCOPE = 'openid profile email offline_access read:messages';

export function appConfig(config: RuntimeConfig): ApplicationConfig {
  return {
    providers: [
      provideBrowserGlobalErrorListeners(),
      provideRouter(routes),
      provideHttpClient(withInterceptors([authHttpInterceptorFn])),
      provideAuth0({
        domain: config.domain,
        clientId: config.clientId,
        authorizationParams: {
          audience: config.audience,
          redirect_uri: window.location.origin,
          scope: SCOPE,
        },
        // Refresh tokens (rotated by the tenant) keep the session across reloads.
        useRefreshTokens: true,
        cacheLocation: 'localstorage',
        // The access token goes to the API's URL only, never to another host.
        httpInterceptor: { allowedList: [`${config.apiUrl}/*`] },
      }),
      { provide: RUNTIME_CONFIG, useValue: config },
    ],
  };
}
