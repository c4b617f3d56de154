import { HttpErrorResponse } from '@angular/common/http';

import { describeProblem } from './api-error';

const answer = (status: number, error: unknown) => new HttpErrorResponse({ status, error });

describe('describeProblem', () => {
  it("shows the server's detail when it sent one", () => {
    expect(describeProblem(answer(503, { detail: 'The database is unavailable; try again shortly.' })).message).toBe(
      'The database is unavailable; try again shortly.',
    );
    expect(describeProblem(answer(404, { detail: 'Not found.' })).message).toBe('Not found.');
  });

  it("uses the app's own words only when there is no detail", () => {
    expect(describeProblem(answer(403, { message: 'Insufficient scope' })).message).toBe('You are not allowed to do this.');
    expect(describeProblem(answer(0, null)).message).toMatch(/cannot be reached/);
    expect(describeProblem(answer(502, 'Bad gateway')).message).toBe('The API answered 502.');
    expect(describeProblem(new Error('boom')).message).toBe('Something went wrong. Try again.');
  });

  it('gives field errors, and no message, for a 400 in DRF shape', () => {
    const problem = describeProblem(answer(400, { title: ['This field may not be blank.'] }));
    expect(problem).toEqual({ message: '', fieldErrors: { title: ['This field may not be blank.'] }, reauthenticate: false });
  });

  it('a 400 with a detail is a message, not field errors', () => {
    const problem = describeProblem(answer(400, { detail: 'JSON parse error' }));
    expect(problem.message).toBe('JSON parse error');
    expect(problem.fieldErrors).toEqual({});
  });

  it('offers to log in again on 401 only', () => {
    expect(describeProblem(answer(401, { detail: 'User inactive or deleted.' }))).toEqual({
      message: 'User inactive or deleted.',
      fieldErrors: {},
      reauthenticate: true,
    });
    expect(describeProblem(answer(401, {})).message).toMatch(/Log in again/);
    expect(describeProblem(answer(403, {})).reauthenticate).toBe(false);
  });
});
