import { provideHttpClient, withInterceptors } from '@angular/common/http';
import { ApplicationConfig, provideBrowserGlobalErrorListeners } from '@angular/core';
import { provideRouter, Routes } from '@angular/router';
import { authHttpInterceptorFn, provideAuth0 } from '@auth0/auth0-angular';

import { RUNTIME_CONFIG, RuntimeConfig } from './config/runtime-config';
import { dpopInterceptor } from './core/dpop.interceptor';

// The shell renders pages only once someone is logged in, and offers "Log in" before:
// no page sends a person to the login page unasked.
const routes: Routes = [
  // Each page (and the Material it uses) is a chunk of its own, fetched once logged in.
  { path: '', loadComponent: () => import('./tasks/task-list').then((m) => m.TaskList), title: 'My tasks' },
  { path: 'profile', loadComponent: () => import('./profile/profile').then((m) => m.Profile), title: 'Profile' },
  { path: '**', redirectTo: '' },
];

/** The scopes asked for: OpenID's, a refresh token, and the quickstart's permission. */
const SCOPE = 'openid profile email offline_access read:messages';

export function appConfig(config: RuntimeConfig): ApplicationConfig {
  return {
    providers: [
      provideBrowserGlobalErrorListeners(),
      provideRouter(routes),
      // DPoP-bound tokens go with a proof per request (dpopInterceptor); without DPoP,
      // the SDK's own interceptor sends them as Bearer.
      provideHttpClient(withInterceptors([config.useDpop ? dpopInterceptor : authHttpInterceptorFn])),
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
        // Tokens bound to a key this browser keeps non-extractable: a copied token is
        // useless elsewhere.
        useDpop: config.useDpop,
        cacheLocation: 'localstorage',
        // The access token goes to the API's URL only, never to another host.
        httpInterceptor: { allowedList: config.useDpop ? [] : [`${config.apiUrl}/*`] },
      }),
      { provide: RUNTIME_CONFIG, useValue: config },
    ],
  };
}
