// The Auth0 quickstart's private endpoint on Express with Auth0's express-oauth2-jwt-bearer,
// DPoP on (its default: Bearer and DPoP accepted), as scripts/bench's baseline for W1D.
//
//   AUTH0_ISSUER=... AUTH0_AUDIENCE=... node server.mjs PORT
import express from 'express';
import { auth } from 'express-oauth2-jwt-bearer';

const app = express();
app.get('/health', (req, res) => res.send('ok'));
app.use(auth({
  issuerBaseURL: process.env.AUTH0_ISSUER,
  audience: process.env.AUTH0_AUDIENCE,
  dpop: { enabled: true, required: false },
}));
app.get('/api/private', (req, res) => {
  res.json({ message: 'Hello from a private endpoint! You need to be authenticated to see this.' });
});
app.listen(Number(process.argv[2]), '127.0.0.1');
