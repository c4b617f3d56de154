import {
  HttpErrorResponse,
  HttpEvent,
  HttpHandlerFn,
  HttpInterceptorFn,
  HttpRequest,
  HttpResponse,
} from '@angular/common/http';
import { inject } from '@angular/core';
import { AuthService } from '@auth0/auth0-angular';
import { catchError, EMPTY, Observable, switchMap, tap, throwError } from 'rxjs';

import { RUNTIME_CONFIG } from '../config/runtime-config';

/** The SDK keeps one nonce per server; the API's is stored under this id. */
export const API_NONCE_ID = 'todo-api';

/**
 * Sends the access token to the API as `Authorization: DPoP` with a fresh proof of the
 * browser's key (RFC 9449), for requests to the API's URL only. auth0-angular's own
 * interceptor sends `Bearer` only; the key (non-extractable, in IndexedDB) and the proofs
 * are the SDK's. When the API asks for a nonce (401 `use_dpop_nonce` with `DPoP-Nonce`),
 * the request is sent once more with it; a nonce the API hands out on any response is
 * kept for the next proofs.
 */
export const dpopInterceptor: HttpInterceptorFn = (req, next) => {
  const { apiUrl } = inject(RUNTIME_CONFIG);
  if (!req.url.startsWith(`${apiUrl}/`)) {
    return next(req);
  }
  const auth = inject(AuthService);
  const send = (nonce: string | undefined) => withProof(auth, req, next, nonce);
  return auth.getDpopNonce(API_NONCE_ID).pipe(
    switchMap((nonce) => send(nonce)),
    tap((event) => rememberNonce(auth, event)),
    catchError((error: unknown) => {
      const nonce = demandedNonce(error);
      if (nonce === undefined) {
        return throwError(() => error);
      }
      return auth.setDpopNonce(nonce, API_NONCE_ID).pipe(
        switchMap(() => send(nonce)),
        tap((event) => rememberNonce(auth, event)),
      );
    }),
  );
};

function withProof(
  auth: AuthService,
  req: HttpRequest<unknown>,
  next: HttpHandlerFn,
  nonce: string | undefined,
): Observable<HttpEvent<unknown>> {
  return auth.getAccessTokenSilently().pipe(
    switchMap((accessToken) => {
      if (!accessToken) {
        return throwError(() => new Error('No access token: log in first.'));
      }
      const proof = { url: htu(req.urlWithParams), method: req.method, nonce, accessToken };
      return auth.generateDpopProof(proof).pipe(
        switchMap((dpop) =>
          next(req.clone({ setHeaders: { Authorization: `DPoP ${accessToken}`, DPoP: dpop } })),
        ),
      );
    }),
  );
}

/** The URL a proof names: no query, no fragment (RFC 9449 section 4.2). */
export function htu(url: string): string {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname}`;
}

/** The nonce of a 401 `use_dpop_nonce`, if `error` is one. */
export function demandedNonce(error: unknown): string | undefined {
  if (!(error instanceof HttpErrorResponse) || error.status !== 401) {
    return undefined;
  }
  const challenge = error.headers.get('WWW-Authenticate') ?? '';
  return challenge.includes('error="use_dpop_nonce"') ? (error.headers.get('DPoP-Nonce') ?? undefined) : undefined;
}

function rememberNonce(auth: AuthService, event: HttpEvent<unknown>): void {
  const nonce = event instanceof HttpResponse ? event.headers.get('DPoP-Nonce') : null;
  if (nonce) {
    auth.setDpopNonce(nonce, API_NONCE_ID).pipe(catchError(() => EMPTY)).subscribe();
  }
}
