// Type-checked by `make node-test` (tsc --noEmit, strict) against the installed package, as a
// CommonJS (types.ts) and an ESM (types.mts) consumer. Never executed.
import {
  Signer,
  sign,
  stats,
  clearCaches,
  mysql2,
  pg as pgSettings,
  postgres as postgresSettings,
  sequelize,
  VERSION,
  caBundle,
  tls,
  tlsCovered,
  redis,
  ioredis,
  iovalkey,
  proxy,
  ERROR_CODES,
  RdsIamError,
  NoCredentials,
  InvalidArgument,
  ProviderError,
} from 'rds-iam';
import type {
  ErrorCode,
  SignerOptions,
  TokenInfo,
  Stats,
  UrlOptions,
  ProxyOptions,
  LocalProxy,
} from 'rds-iam';
import pg from 'pg';
import postgres from 'postgres';
import mysql from 'mysql2/promise';
import knex from 'knex';
import { Sequelize } from 'sequelize';
import { PrismaPg } from '@prisma/adapter-pg';
import { DataSource } from 'typeorm';
import { createClient, createCluster } from 'redis';
import type { Redis as IoRedisClient } from 'ioredis';

const options: SignerOptions = {
  host: 'db.abc.us-east-1.rds.amazonaws.com',
  port: 5432,
  user: 'app',
  region: 'us-east-1',
  credentials: {
    accessKeyId: 'AKID',
    secretAccessKey: 'S',
    sessionToken: 'T',
    expiration: new Date(),
  },
  roleArn: 'arn:aws:iam::123456789012:role/db',
  kind: 'rds',
  reuseFor: 60,
  refreshMargin: 300,
  fetchTimeout: 5,
  imdsTimeout: 1,
};
const signer = new Signer(options);
const dsql = new Signer({ host: 'abc.dsql.us-east-1.on.aws', kind: 'dsql_admin', expiresIn: 3600 });
const byId = new Signer({
  clusterId: 'abcdefghijklmnopqrstuvwxyz',
  region: 'us-east-1',
  user: 'admin',
});
const urlOptions: UrlOptions = { database: 'postgres', driver: 'postgresql', caFile: '/ca.pem' };
const cache = new Signer({
  host: 'my-cache',
  user: 'app',
  region: 'us-east-1',
  kind: 'elasticache-serverless',
});

async function main(): Promise<void> {
  const t: string = await signer.token();
  const s: string = signer.tokenSync();
  const info: TokenInfo = await signer.tokenInfo();
  const when: Date = info.expiresAt;
  const signed: Date = info.signedAt;
  const cached: boolean = info.fromCache;
  const key: string = info.accessKeyId;
  const pw: string = await signer.password();
  const url: string = await byId.url(urlOptions);
  const mysqlUrl: string = await signer.url({ driver: 'mysql' });
  const st: Stats = stats();
  const n: number = st.signatures;
  clearCaches();
  const token: string = sign({
    host: 'db',
    port: 3306,
    user: 'u',
    region: 'us-east-1',
    at: new Date(0),
    credentials: { accessKeyId: 'AKID', secretAccessKey: 'S' },
  });
  const v: string = VERSION;
  void [
    t,
    s,
    when,
    signed,
    cached,
    key,
    pw,
    n,
    token,
    v,
    dsql.host,
    signer.port,
    url,
    mysqlUrl,
    cache.host,
  ];

  const pool = new pg.Pool({
    host: signer.host,
    user: 'app',
    password: signer.password,
    ssl: true,
  });
  const pool2 = new pg.Pool({ ...pgSettings(signer), database: 'app' });
  const sql = postgres({
    host: signer.host,
    username: 'app',
    password: signer.password,
    ssl: 'verify-full',
  });
  const sql2 = postgres({ ...postgresSettings(signer), database: 'app' });
  const my = mysql.createPool({ ...mysql2(signer), database: 'app' });
  const my2 = mysql.createPool({ ...mysql2(signer, { ssl: { ca: 'PEM' } }), database: 'app' });
  const db = knex({
    client: 'pg',
    connection: { host: signer.host, user: 'app', password: signer.password },
  });
  const pem: string = caBundle;
  const verified = tls({ ca: [pem], servername: 'db.abc.us-east-1.rds.amazonaws.com' });
  const loose = tls({ verify: false });
  const covered: boolean | null = tlsCovered('db.abc.us-east-1.rds.amazonaws.com');
  const pool3 = new pg.Pool({ ...pgSettings(signer, { ca: pem }), ssl: verified, database: 'app' });
  const sql3 = postgres({ ...postgresSettings(signer, { verify: false }), database: 'app' });
  const my3 = mysql.createPool({ ...mysql2(signer, { ca: Buffer.from(pem) }), database: 'app' });
  const db2 = knex({ client: 'pg', connection: { ...pgSettings(signer), database: 'app' } });
  void [pool, pool2, sql, sql2, my, my2, db, loose, covered, pool3, sql3, my3, db2];

  // the frameworks: node/README.md's integration table
  const sq = new Sequelize({ ...sequelize(signer), database: 'app' });
  const sq2 = new Sequelize({
    ...sequelize(signer, { dialect: 'mysql', ca: pem }),
    database: 'app',
  });
  const sq3 = new Sequelize({
    ...sequelize(signer, { dialect: 'mariadb', ssl: false }),
    database: 'app',
  });
  const adapter = new PrismaPg({ ...pgSettings(signer), database: 'app' });
  const ds = new DataSource({ type: 'postgres', database: 'app', extra: pgSettings(signer) });
  const ds2 = new DataSource({ type: 'mysql', database: 'app', extra: mysql2(signer) });
  void [sq, sq2, sq3, adapter, ds, ds2];
  // ElastiCache / MemoryDB hooks
  const cacheSigner = new Signer({
    host: 'master.my-cache.abc123.use1.cache.amazonaws.com',
    user: 'app',
    kind: 'elasticache',
  });
  const cacheClient = createClient({
    url: 'rediss://h:6379',
    credentialsProvider: redis(cacheSigner),
  });
  const cache2 = createClient({
    credentialsProvider: redis(cacheSigner, { streaming: false, refreshEvery: 3600 }),
  });
  const cluster = createCluster({
    rootNodes: [{ url: 'rediss://h:6379' }],
    defaults: { credentialsProvider: redis(cacheSigner, { onReAuthenticationError: () => {} }) },
  });
  const subscriptions: number = redis(cacheSigner).subscriptions;
  const io: IoRedisClient = ioredis<IoRedisClient>(cacheSigner, { ca: pem, lazyConnect: true });
  const iv = iovalkey(cacheSigner, { host: 'h', port: 6380, refreshEvery: 60 });
  void [cacheClient, cache2, cluster, subscriptions, io, iv];
  // @ts-expect-error: refreshEvery is a number of seconds
  redis(cacheSigner, { refreshEvery: '10h' });

  // the in-process proxy
  const proxyOptions: ProxyOptions = {
    database: 'app',
    users: ['app', 'reader'],
    listen: '127.0.0.1:0',
    ca: '/etc/ca.pem',
    clientTls: { cert: '/c.pem', key: '/k.pem' },
    maxConnections: 10,
  };
  const p: LocalProxy = await proxy(signer, proxyOptions);
  const p2 = await proxy(signer, { clientTls: 'auto' });
  const proxyUrl: string = p.url;
  const proxyHost: string = p.host;
  const proxyPort: number = p.port;
  const open: number = p.openSessions;
  const isClosed: boolean = p2.closed;
  const viaProxy = new pg.Client({ connectionString: proxyUrl });
  await p.close();
  void [proxyHost, proxyPort, open, isClosed, viaProxy];
  // @ts-expect-error: clientTls is 'auto' or files
  proxy(signer, { clientTls: 'on' });

  // @ts-expect-error: kind is one of the six kinds' names
  new Signer({ host: 'h', kind: 'mysql' });
  // @ts-expect-error: a dialect rds-iam has no hook for
  sequelize(signer, { dialect: 'sqlite' });
  // @ts-expect-error: a cluster id is a string
  new Signer({ clusterId: 1, region: 'us-east-1', user: 'admin' });
  // @ts-expect-error: the credentials need a secret
  sign({ host: 'h', credentials: { accessKeyId: 'A' } });

  // issue 33: the default export, error classes, getters, sync/async twins, app credentials
  const codes: readonly ErrorCode[] = ERROR_CODES;
  try {
    signer.tokenSync();
  } catch (e) {
    if (e instanceof RdsIamError) {
      const code: string = e.code;
      const provider: string | undefined = e.provider;
      void [code, provider];
    }
    if (e instanceof NoCredentials || e instanceof InvalidArgument || e instanceof ProviderError)
      void e.message;
  }
  const kind: string = signer.kind;
  const signPort: number = signer.signPort;
  const infoSync: TokenInfo = signer.tokenInfoSync();
  const fetches: number = stats().credentialFetches;
  const fromProvider = new Signer({
    host: 'h',
    user: 'u',
    credentials: async () => ({ accessKeyId: 'A', secretAccessKey: 'S', expiration: new Date() }),
  });
  const withPem = pgSettings(signer, { caPem: 'PEM' });
  const withCa = tls({ ca: '/etc/ssl/private-ca.pem' });
  void [codes, kind, signPort, infoSync, fetches, fromProvider, withPem, withCa];
}
void main;
