import { nextLink } from './link-header';

describe('nextLink', () => {
  it('finds rel="next" among other links', () => {
    expect(nextLink('<https://api.test/api/task/?limit=3&offset=3>; rel="next"')).toBe(
      'https://api.test/api/task/?limit=3&offset=3',
    );
    expect(nextLink('<https://a.test/1>; rel="prev", <https://a.test/3>; rel="next"')).toBe('https://a.test/3');
    expect(nextLink('<https://a.test/3>; title="x"; rel="last next"')).toBe('https://a.test/3');
    expect(nextLink('<https://a.test/3>; rel=next')).toBe('https://a.test/3');
  });

  it('is null when there is no next', () => {
    expect(nextLink(null)).toBeNull();
    expect(nextLink('')).toBeNull();
    expect(nextLink('<https://a.test/1>; rel="prev"')).toBeNull();
    expect(nextLink('<https://a.test/1>; rel="nextish"')).toBeNull();
  });
});
