import { HttpErrorResponse } from '@angular/common/http';

/** Messages per field, as the API (Django REST Framework's shape) sends them on 400. */
export type FieldErrors = Readonly<Record<string, readonly string[]>>;

/** What a failed call means to the person using the app. */
export interface ApiProblem {
  /** A sentence to show; empty when the field errors say it all. */
  readonly message: string;
  readonly fieldErrors: FieldErrors;
  /** The session is no longer valid: logging in again is the way out. */
  readonly reauthenticate: boolean;
}

/** The app's own words, for answers that carry no `detail` of the server's. */
const BY_STATUS: Readonly<Record<number, string>> = {
  0: 'The API cannot be reached. Check your connection and try again.',
  401: 'Your session has ended. Log in again to continue.',
  403: 'You are not allowed to do this.',
  404: 'This task no longer exists.',
  503: 'The service is unavailable right now. Try again in a few seconds.',
};

/** The server's `detail` when it sent one; the app's own words otherwise. */
export function describeProblem(error: unknown): ApiProblem {
  if (!(error instanceof HttpErrorResponse)) {
    return { message: 'Something went wrong. Try again.', fieldErrors: {}, reauthenticate: false };
  }
  const body: unknown = error.error;
  const reauthenticate = error.status === 401;
  if (error.status === 400 && isFieldErrors(body)) {
    return { message: '', fieldErrors: body, reauthenticate };
  }
  const message = detailOf(body) || BY_STATUS[error.status] || `The API answered ${error.status}.`;
  return { message, fieldErrors: {}, reauthenticate };
}

function detailOf(body: unknown): string {
  if (typeof body === 'object' && body !== null && 'detail' in body && typeof body.detail === 'string') {
    return body.detail.trim();
  }
  return '';
}

function isFieldErrors(body: unknown): body is FieldErrors {
  return (
    typeof body === 'object' &&
    body !== null &&
    !('detail' in body) &&
    Object.values(body).every((messages) => Array.isArray(messages) && messages.every((m) => typeof m === 'string'))
  );
}
