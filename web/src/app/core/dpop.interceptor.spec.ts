import { HttpClient, HttpErrorResponse, provideHttpClient, withInterceptors } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { AuthService } from '@auth0/auth0-angular';
import { firstValueFrom, of } from 'rxjs';

import { RUNTIME_CONFIG } from '../config/runtime-config';
import { fakeAuth, TASKS_URL, TEST_CONFIG } from '../../testing/app-testing';
import { API_NONCE_ID, dpopInterceptor } from './dpop.interceptor';

describe('dpopInterceptor', () => {
  let http: HttpTestingController;
  let client: HttpClient;
  let auth: ReturnType<typeof fakeAuth> & Record<string, ReturnType<typeof vi.fn>>;
  let proofs: number;

  beforeEach(() => {
    proofs = 0;
    auth = fakeAuth({
      getDpopNonce: vi.fn(() => of(undefined)),
      setDpopNonce: vi.fn(() => of(undefined)),
      getAccessTokenSilently: vi.fn(() => of('the-token')),
      generateDpopProof: vi.fn(() => of(`proof-${++proofs}`)),
    }) as typeof auth;
    TestBed.configureTestingModule({
      providers: [
        provideHttpClient(withInterceptors([dpopInterceptor])),
        provideHttpClientTesting(),
        { provide: RUNTIME_CONFIG, useValue: TEST_CONFIG },
        { provide: AuthService, useValue: auth },
      ],
    });
    http = TestBed.inject(HttpTestingController);
    client = TestBed.inject(HttpClient);
  });

  afterEach(() => http.verify());

  it('sends the token as DPoP with a proof for the method and the URL without its query', async () => {
    const answer = firstValueFrom(client.get(`${TASKS_URL}?completed=false`));
    await Promise.resolve();
    const request = http.expectOne(`${TASKS_URL}?completed=false`);
    expect(request.request.headers.get('Authorization')).toBe('DPoP the-token');
    expect(request.request.headers.get('DPoP')).toBe('proof-1');
    expect(auth['generateDpopProof']).toHaveBeenCalledWith({
      url: TASKS_URL,
      method: 'GET',
      nonce: undefined,
      accessToken: 'the-token',
    });
    request.flush([]);
    await answer;
  });

  it('never sends the token to another host', async () => {
    const answer = firstValueFrom(client.get('https://elsewhere.test/data'));
    const request = http.expectOne('https://elsewhere.test/data');
    expect(request.request.headers.has('Authorization')).toBe(false);
    expect(request.request.headers.has('DPoP')).toBe(false);
    request.flush({});
    await answer;
  });

  it("answers the API's use_dpop_nonce once, with a new proof carrying the nonce", async () => {
    const answer = firstValueFrom(client.post(TASKS_URL, {}));
    await Promise.resolve();
    http.expectOne(TASKS_URL).flush(
      { detail: 'nonce' },
      {
        status: 401,
        statusText: 'Unauthorized',
        headers: { 'WWW-Authenticate': 'DPoP error="use_dpop_nonce"', 'DPoP-Nonce': 'n-1' },
      },
    );
    await Promise.resolve();
    const retry = http.expectOne(TASKS_URL);
    expect(retry.request.headers.get('DPoP')).toBe('proof-2');
    expect(auth['setDpopNonce']).toHaveBeenCalledWith('n-1', API_NONCE_ID);
    expect(auth['generateDpopProof']).toHaveBeenLastCalledWith(expect.objectContaining({ nonce: 'n-1', method: 'POST' }));
    // A second demand is the caller's problem: no loop.
    retry.flush(
      {},
      { status: 401, statusText: 'Unauthorized', headers: { 'WWW-Authenticate': 'DPoP error="use_dpop_nonce"', 'DPoP-Nonce': 'n-2' } },
    );
    await expect(answer).rejects.toBeInstanceOf(HttpErrorResponse);
    http.expectNone(TASKS_URL);
  });

  it('passes other refusals up untouched', async () => {
    const answer = firstValueFrom(client.get(TASKS_URL));
    await Promise.resolve();
    http.expectOne(TASKS_URL).flush({}, { status: 401, statusText: 'Unauthorized', headers: { 'WWW-Authenticate': 'DPoP error="invalid_token"' } });
    await expect(answer).rejects.toMatchObject({ status: 401 });
    expect(auth['setDpopNonce']).not.toHaveBeenCalled();
  });

  it('keeps a nonce the API hands out on a success for the next proofs', async () => {
    const answer = firstValueFrom(client.get(TASKS_URL));
    await Promise.resolve();
    http.expectOne(TASKS_URL).flush([], { headers: { 'DPoP-Nonce': 'fresh' } });
    await answer;
    expect(auth['setDpopNonce']).toHaveBeenCalledWith('fresh', API_NONCE_ID);
  });
});
