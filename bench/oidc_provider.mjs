// The reference OpenID Provider beside Janua in bench/run: node `oidc-provider` with the
// Redis adapter of its repository's example (example/adapters/redis.js, on ioredis), one
// confidential client allowed the authorization_code, refresh_token and client_credentials
// grants, refresh tokens rotating, introspection on.
//
//   PORT=… REDIS_URL=… CLIENT_SECRET=… node bench/oidc_provider.mjs
//
// It listens on 127.0.0.1 only. GET /bench/mint?n=N&kind=refresh|access answers N fresh
// tokens, one a line, each under a grant of its own (as if N users had signed in through
// the authorization endpoint): the bench's stand-in for the SQL that clones Janua's grants.
// It is a benchmark fixture: never run it as a provider.

import Redis from 'ioredis';
import Provider from 'oidc-provider';

const port = Number(process.env.PORT);
const clientSecret = process.env.CLIENT_SECRET;
const client = new Redis(process.env.REDIS_URL, { keyPrefix: `oidc-bench-${port}:` });

const grantable = new Set([
  'AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode',
  'BackchannelAuthenticationRequest',
]);
const consumable = new Set([
  'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest',
]);
const grantKeyFor = (id) => `grant:${id}`;
const userCodeKeyFor = (userCode) => `userCode:${userCode}`;
const uidKeyFor = (uid) => `uid:${uid}`;

// The example adapter of oidc-provider's repository, as it stands there.
class RedisAdapter {
  constructor(name) {
    this.name = name;
  }

  async upsert(id, payload, expiresIn) {
    const key = this.key(id);
    const multi = client.multi();
    if (consumable.has(this.name)) {
      multi.hset(key, { payload: JSON.stringify(payload) });
    } else {
      multi.set(key, JSON.stringify(payload));
    }
    if (expiresIn) multi.expire(key, expiresIn);
    if (grantable.has(this.name) && payload.grantId) {
      const grantKey = grantKeyFor(payload.grantId);
      multi.rpush(grantKey, key);
      // The grant lives as long as its longest token.
      const ttl = await client.ttl(grantKey);
      if (expiresIn > ttl) multi.expire(grantKey, expiresIn);
    }
    if (payload.userCode) {
      const userCodeKey = userCodeKeyFor(payload.userCode);
      multi.set(userCodeKey, id);
      multi.expire(userCodeKey, expiresIn);
    }
    if (payload.uid) {
      const uidKey = uidKeyFor(payload.uid);
      multi.set(uidKey, id);
      multi.expire(uidKey, expiresIn);
    }
    await multi.exec();
  }

  async find(id) {
    const data = consumable.has(this.name)
      ? await client.hgetall(this.key(id))
      : await client.get(this.key(id));
    if (!data || (typeof data === 'object' && Object.keys(data).length === 0)) return undefined;
    if (typeof data === 'string') return JSON.parse(data);
    const { payload, ...rest } = data;
    return { ...rest, ...JSON.parse(payload) };
  }

  async findByUid(uid) {
    return this.find(await client.get(uidKeyFor(uid)));
  }

  async findByUserCode(userCode) {
    return this.find(await client.get(userCodeKeyFor(userCode)));
  }

  async destroy(id) {
    await client.del(this.key(id));
  }

  async revokeByGrantId(grantId) {
    const multi = client.multi();
    const tokens = await client.lrange(grantKeyFor(grantId), 0, -1);
    for (const token of tokens) multi.del(token);
    multi.del(grantKeyFor(grantId));
    await multi.exec();
  }

  async consume(id) {
    await client.hset(this.key(id), 'consumed', Math.floor(Date.now() / 1000));
  }

  key(id) {
    return `${this.name}:${id}`;
  }
}

const provider = new Provider(`http://127.0.0.1:${port}`, {
  adapter: RedisAdapter,
  clients: [{
    client_id: 'bench',
    client_secret: clientSecret,
    grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
    redirect_uris: ['http://127.0.0.1/callback'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_post',
    scope: 'openid offline_access api',
  }],
  scopes: ['openid', 'offline_access', 'api'],
  features: {
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    devInteractions: { enabled: false },
  },
  rotateRefreshToken: true,
  findAccount: async (ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
});

// N tokens of one kind, each under a grant of its own, one a line.
async function mint(kind, count) {
  const benchClient = await provider.Client.find('bench');
  const tokens = [];
  for (let i = 0; i < count; i += 1) {
    const accountId = `user-${i}`;
    const grant = new provider.Grant({ accountId, clientId: 'bench' });
    grant.addOIDCScope('openid offline_access');
    const grantId = await grant.save();
    const fields = {
      accountId, client: benchClient, grantId, scope: 'openid offline_access',
    };
    const token = kind === 'access'
      ? new provider.AccessToken({ ...fields, gty: 'authorization_code' })
      : new provider.RefreshToken({
        ...fields, gty: 'authorization_code', authTime: Math.floor(Date.now() / 1000),
      });
    tokens.push(await token.save());
  }
  return tokens;
}

provider.use(async (ctx, next) => {
  if (ctx.path !== '/bench/mint') {
    await next();
    return;
  }
  const count = Number(ctx.query.n ?? 1);
  ctx.type = 'text/plain';
  ctx.body = `${(await mint(ctx.query.kind ?? 'refresh', count)).join('\n')}\n`;
});

provider.listen(port, '127.0.0.1');
