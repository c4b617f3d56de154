// Calls the API with a DPoP-bound token, as a script would: a P-256 key of its own
// (WebCrypto, never exported), a bound token from the dev issuer's client-credentials
// grant, and a fresh proof per request, retrying once with the server's nonce when one
// is demanded. Prints the API's status line and body. See scripts/dpop-client.
//
//   node scripts/dpop-client.mjs METHOD PATH [JSON_BODY]

const env = process.env;
const issuer = env.AUTH0_ISSUER || 'http://127.0.0.1:8001/';
const api = (env.API_URL || `http://localhost:${env.PORT || 8000}`).replace(/\/$/, '');
const [method = 'GET', path = '/api/private', body] = process.argv.slice(2);

const b64 = (bytes) => Buffer.from(bytes).toString('base64url');
const keys = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
const { kty, crv, x, y } = await crypto.subtle.exportKey('jwk', keys.publicKey);

/** A DPoP proof for `htm htu`, naming `accessToken`'s hash and `nonce` when given. */
async function proof(htm, htu, accessToken, nonce) {
  const header = { typ: 'dpop+jwt', alg: 'ES256', jwk: { kty, crv, x, y } };
  const claims = { htm, htu, iat: Math.floor(Date.now() / 1000), jti: crypto.randomUUID() };
  if (accessToken) {
    claims.ath = b64(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(accessToken)));
  }
  if (nonce) claims.nonce = nonce;
  const input = `${b64(JSON.stringify(header))}.${b64(JSON.stringify(claims))}`;
  const signature = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, keys.privateKey, new TextEncoder().encode(input));
  return `${input}.${b64(signature)}`;
}

/** `send(nonce)`, once more with the server's nonce if it asks for one. */
async function withNonce(send) {
  let response = await send(undefined);
  const nonce = response.headers.get('dpop-nonce');
  const challenge = response.headers.get('www-authenticate') ?? '';
  const asked = response.status === 401 ? challenge.includes('use_dpop_nonce') : response.status === 400;
  if (nonce && asked) response = await send(nonce);
  return response;
}

const tokenUrl = `${issuer}oauth/token`;
const tokenResponse = await withNonce(async (nonce) => fetch(tokenUrl, {
  method: 'POST',
  headers: { 'Content-Type': 'application/json', DPoP: await proof('POST', tokenUrl, undefined, nonce) },
  body: JSON.stringify({
    grant_type: 'client_credentials',
    client_id: env.DEV_ISSUER_CLIENT_ID || 'dev-client',
    client_secret: env.DEV_ISSUER_CLIENT_SECRET,
    audience: env.AUTH0_AUDIENCE || 'https://todo-api',
    scope: env.SCOPE ?? 'read:messages',
  }),
}));
const token = await tokenResponse.json();
if (!tokenResponse.ok || token.token_type !== 'DPoP') {
  console.error(`no DPoP-bound token from ${tokenUrl}: ${tokenResponse.status} ${JSON.stringify(token)}`);
  process.exit(1);
}

const url = `${api}${path}`;
const htu = url.split(/[?#]/)[0];
const response = await withNonce(async (nonce) => fetch(url, {
  method,
  headers: {
    Authorization: `DPoP ${token.access_token}`,
    DPoP: await proof(method, htu, token.access_token, nonce),
    ...(body ? { 'Content-Type': 'application/json' } : {}),
  },
  body,
}));
console.log(`${response.status} ${await response.text()}`);
process.exit(response.ok ? 0 : 1);
