// A certified OpenID Provider (npm oidc-provider) for tests and local development.
// Any login name is accepted and becomes the subject; claims are derived from it.
// Clients register themselves (OpenID Connect Dynamic Client Registration), so every test
// server, whatever its port, gets its own client id, secret and redirect URI.
// Env: OIDC_PORT (default 41400), OIDC_ISSUER (default http://127.0.0.1:$OIDC_PORT).
import { generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';

const port = Number(process.env.OIDC_PORT || 41400);
const issuer = process.env.OIDC_ISSUER || `http://127.0.0.1:${port}`;
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'test-rs256', use: 'sig', alg: 'RS256' };

const configuration = {
  clients: [],
  jwks: { keys: [jwk] },
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

const provider = new Provider(issuer, configuration);
provider.listen(port, '127.0.0.1', () => console.log(`oidc-provider listening on ${issuer}`));
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(0));
