import { HttpErrorResponse } from '@angular/common/http';

/** Messages per field, as the API (Django REST Framework's shape) sends them on 400. */
export type FieldErrors = Readonly<Record<string, readonly string[]>>;

/** What a failed call means to the person using the app. */
export interface ApiProblem {
  /** A sentence to show; empty when the field errors say it all. */
  readonly message: string;
  readonly fieldErrors: FieldErrors;
}

const BY_STATUS: Readonly<Record<number, string>> = {
  0: 'The API cannot be reached. Check your connection and try again.',
  401: 'Your session is no longer valid. Log out and log in again.',
  403: 'You are not allowed to do this.',
  404: 'This task no longer exists.',
  503: 'The service is unavailable right now. Try again in a few seconds.',
};

export function describeProblem(error: unknown): ApiProblem {
  if (!(error instanceof HttpErrorResponse)) {
    return { message: 'Something went wrong. Try again.', fieldErrors: {} };
  }
  const body: unknown = error.error;
  if (error.status === 400 && isFieldErrors(body)) {
    return { message: '', fieldErrors: body };
  }
  const detail = typeof body === 'object' && body !== null && 'detail' in body ? String(body.detail) : '';
  const message = BY_STATUS[error.status] ?? (detail || `The API answered ${error.status}.`);
  return { message, fieldErrors: {} };
}

function isFieldErrors(body: unknown): body is FieldErrors {
  return (
    typeof body === 'object' &&
    body !== null &&
    !('detail' in body) &&
    Object.values(body).every((messages) => Array.isArray(messages))
  );
}
