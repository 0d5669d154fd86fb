// A certified OpenID Provider (npm oidc-provider) for tests and local development.
// Any login name is accepted and becomes the subject; claims are derived from it.
// Clients register themselves (OpenID Connect Dynamic Client Registration), so every test
// server, whatever its port, gets its own client id, secret and redirect URI.
// Env: OIDC_PORT (default 41400), OIDC_ISSUER (default http://127.0.0.1:$OIDC_PORT).
//
// Test-only endpoints (this is a test peer, never a real provider):
//   POST /_test/issuers  starts another provider on a free port and answers {"issuer": …}:
//                        a test that counts requests or rotates keys gets one of its own,
//                        so tests running in parallel do not disturb each other.
//   GET  /_test/stats    {"discovery": n, "jwks": n}: requests to those two documents.
//   POST /_test/rotate   a new signing key (its kid in the answer) signs from now on; the
//                        old one stays published, as providers do while rotating.
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import http from 'node:http';
import Provider from 'oidc-provider';
import { createMemoryAdapter } from 'oidc-provider/lib/adapters/memory_adapter.js';

function newKey() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), kid: `k-${randomUUID()}`, use: 'sig', alg: 'RS256' };
}

function configuration(keys, adapter) {
  return {
    adapter,
    clients: [],
    jwks: { keys },
    cookies: { keys: ['stoa-test-cookie-key-not-secret'] },
    async findAccount(ctx, sub) {
      return {
        accountId: sub,
        async claims() {
          return { sub, email: `${sub}@example.test`, email_verified: true, name: `Test ${sub}`, preferred_username: sub };
        },
      };
    },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'preferred_username'] },
    scopes: ['openid', 'email', 'profile'],
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: true },
      registration: { enabled: true },
    },
    // Skip the consent screen: the test user always agrees.
    async loadExistingGrant(ctx) {
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
      grant.addOIDCScope([...(ctx.oidc.requestParamScopes || ['openid'])].join(' '));
      grant.addOIDCClaims([...(ctx.oidc.requestParamClaims || [])]);
      await grant.save();
      return grant;
    },
  };
}

function json(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

// Starts a provider on `port` (0: any free port). Registered clients, grants and sessions
// live in an in-memory store of this provider's own, which a rotation (a new Provider object
// with the new keys) keeps.
async function startProvider(port, issuerOverride, main) {
  const server = http.createServer();
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  const issuer = issuerOverride || `http://127.0.0.1:${server.address().port}`;
  const adapter = createMemoryAdapter();
  let keys = [newKey()];
  let handler = new Provider(issuer, configuration(keys, adapter)).callback();
  const stats = { discovery: 0, jwks: 0 };
  server.on('request', async (req, res) => {
    const path = req.url.split('?')[0];
    if (path === '/.well-known/openid-configuration') stats.discovery += 1;
    if (path === '/jwks') stats.jwks += 1;
    if (path === '/_test/stats' && req.method === 'GET') return json(res, 200, stats);
    if (path === '/_test/rotate' && req.method === 'POST') {
      keys = [newKey(), ...keys];
      handler = new Provider(issuer, configuration(keys, adapter)).callback();
      return json(res, 200, { kid: keys[0].kid });
    }
    if (path === '/_test/issuers' && req.method === 'POST' && main) {
      const other = await startProvider(0, undefined, false);
      return json(res, 201, { issuer: other });
    }
    return handler(req, res);
  });
  return issuer;
}

const port = Number(process.env.OIDC_PORT || 41400);
const issuer = await startProvider(port, process.env.OIDC_ISSUER, true);
console.log(`oidc-provider listening on ${issuer}`);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(0));
