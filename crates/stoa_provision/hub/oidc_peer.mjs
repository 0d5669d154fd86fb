// Stands in for Stoa's OpenID provider in selftest.py --oidc (npm oidc-provider, test only).
// One static client (the hub), secret sent with client_secret_basic, PKCE required. Any login
// name signs in; its prefix decides the `groups` claim, as Stoa would send it:
//   out-*    no groups (not a member: the hub answers 403)
//   owner-*  stoa-members, stoa-role-owner, stoa-hub-admins
//   else     stoa-members, stoa-role-member
// Env: OIDC_PORT, HUB_CLIENT_ID, HUB_CLIENT_SECRET, HUB_PUBLIC_URL.
import { generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'k1', use: 'sig', alg: 'RS256' };
const port = Number(process.env.OIDC_PORT);
const hub = process.env.HUB_PUBLIC_URL;

function groupsOf(login) {
  if (login.startsWith('out-')) return [];
  if (login.startsWith('owner-')) return ['stoa-members', 'stoa-role-owner', 'stoa-hub-admins'];
  return ['stoa-members', 'stoa-role-member'];
}

const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [{
    client_id: process.env.HUB_CLIENT_ID,
    client_secret: process.env.HUB_CLIENT_SECRET,
    redirect_uris: [`${hub}/hub/oauth_callback`],
    post_logout_redirect_uris: [`${hub}/hub/`],
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: ['authorization_code'],  // refresh tokens are not exercised here
    response_types: ['code'],
  }],
  jwks: { keys: [jwk] },
  cookies: { keys: ['selftest-only'] },
  async findAccount(ctx, sub) {
    return {
      accountId: sub,
      async claims() {
        return { sub, preferred_username: sub, name: `Test ${sub}`, email: `${sub}@example.test`, email_verified: true, groups: groupsOf(sub) };
      },
    };
  },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'preferred_username'], groups: ['groups'] },
  scopes: ['openid', 'email', 'profile', 'groups'],
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true } },
  async loadExistingGrant(ctx) {
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope([...(ctx.oidc.requestParamScopes || ['openid'])].join(' '));
    await grant.save();
    return grant;
  },
});
provider.listen(port, '127.0.0.1', () => console.log(`oidc peer on ${port}`));
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(0));
