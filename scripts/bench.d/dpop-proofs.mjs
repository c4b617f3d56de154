// The DPoP workload's material: a token bound to a P-256 key of this script's own (from
// the dev issuer's client-credentials grant, with a proof), and COUNT proofs for METHOD
// URL, each with its own jti, since the API accepts a proof once.
//
//   node dpop-proofs.mjs ISSUER AUDIENCE METHOD URL COUNT OUT_DIR
// Writes OUT_DIR/dpop-token.txt and OUT_DIR/dpop-proofs.txt (one proof a line).
import { createHash, generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { writeFileSync } from 'node:fs';

const [issuer, audience, method, url, count, out] = process.argv.slice(2);
const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const { kty, crv, x, y } = publicKey.export({ format: 'jwk' });
const b64 = (bytes) => Buffer.from(bytes).toString('base64url');
const header = b64(JSON.stringify({ typ: 'dpop+jwt', alg: 'ES256', jwk: { kty, crv, x, y } }));

function proof(htm, htu, token) {
  const claims = { htm, htu, iat: Math.floor(Date.now() / 1000), jti: randomUUID() };
  if (token) claims.ath = b64(createHash('sha256').update(token).digest());
  const input = `${header}.${b64(JSON.stringify(claims))}`;
  return `${input}.${b64(sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' }))}`;
}

const tokenUrl = `${issuer}oauth/token`;
const response = await fetch(tokenUrl, {
  method: 'POST',
  headers: { 'Content-Type': 'application/json', DPoP: proof('POST', tokenUrl) },
  body: JSON.stringify({
    grant_type: 'client_credentials', client_id: 'dev-client', audience, sub: 'auth0|bench-dpop',
    client_secret: process.env.DEV_ISSUER_CLIENT_SECRET, scope: 'read:messages',
  }),
});
const { access_token: token, token_type: type } = await response.json();
if (type !== 'DPoP') throw new Error(`no DPoP-bound token: ${response.status}`);
writeFileSync(`${out}/dpop-token.txt`, `${token}\n`);
const proofs = [];
for (let n = 0; n < Number(count); n++) proofs.push(proof(method, url, token));
writeFileSync(`${out}/dpop-proofs.txt`, `${proofs.join('\n')}\n`);
