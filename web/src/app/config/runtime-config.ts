import { InjectionToken } from '@angular/core';

/** What `config.json` says: the Auth0 tenant (or the dev issuer) and the API. */
export interface RuntimeConfig {
  /** The tenant's domain, e.g. `example.us.auth0.com`, or the dev issuer's URL. */
  readonly domain: string;
  /** The Single Page Application's client id. */
  readonly clientId: string;
  /** The API identifier: the audience of the access tokens. */
  readonly audience: string;
  /** The API's base URL, e.g. `http://localhost:8000`; only it gets the access token. */
  readonly apiUrl: string;
  /** Whether tokens are DPoP-bound (RFC 9449); off for a tenant without DPoP. */
  readonly useDpop: boolean;
}

export const RUNTIME_CONFIG = new InjectionToken<RuntimeConfig>('RuntimeConfig');

const FIELDS = ['domain', 'clientId', 'audience', 'apiUrl'] as const;

export async function loadRuntimeConfig(): Promise<RuntimeConfig> {
  const response = await fetch('config.json', { cache: 'no-store' });
  if (!response.ok) {
    throw new Error(`config.json answered ${response.status}`);
  }
  const config = (await response.json()) as Partial<RuntimeConfig>;
  const missing = FIELDS.filter((field) => typeof config[field] !== 'string' || config[field] === '');
  if (missing.length > 0) {
    throw new Error(`config.json lacks ${missing.join(', ')}`);
  }
  return {
    ...(config as RuntimeConfig),
    apiUrl: config.apiUrl!.replace(/\/+$/, ''),
    // DPoP unless config.json turns it off.
    useDpop: config.useDpop !== false,
  };
}
