"""`make demo`, Python part: psycopg and PyMySQL log in to iamdb with tokens from the default
credential chain (the environment holds the iamdb test key), through the rds_iam helpers; psql,
which has no password hook, logs in through rds_iam.Proxy; redis-py through the cache front."""

import os
import subprocess

import rds_iam
import rds_iam.psycopg
import rds_iam.pymysql

host, user, ca = os.environ["IAMDB_HOST"], os.environ["IAMDB_USER"], os.environ["IAMDB_CA_FILE"]
db = os.environ["IAMDB_DATABASE"]


def say(what: str, result: str) -> None:
    print(f"  {what:<28} {result}")


pg = rds_iam.Signer(host, int(os.environ["IAMDB_PG_PORT"]), user, region="us-east-1")
with rds_iam.psycopg.connect(pg, dbname=db, sslmode="verify-full", sslrootcert=ca) as conn:
    who = conn.execute("select current_user").fetchone()
say("python psycopg:", f"select current_user → {who[0]} ({pg.token_info().access_key_id})")

my = rds_iam.Signer(host, int(os.environ["IAMDB_MYSQL_PORT"]), user, region="us-east-1")
conn = rds_iam.pymysql.connect(my, database=db, ssl_ca=ca)
with conn.cursor() as cur:
    cur.execute("select current_user()")
    who = cur.fetchone()
conn.close()
say("python PyMySQL:", f"select current_user() → {who[0]} (cleartext plugin over TLS)")
say("python signatures:", f"{rds_iam.stats()['signatures']} for 2 endpoints")

# A client with no password hook (psql here; pg_dump, a GUI, pgbouncer alike) through the
# in-process proxy: it logs in upstream with the signer's cached token.
env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PG"))}
with rds_iam.Proxy(pg, database=db, ca=ca) as proxy:
    psql = ["psql", proxy.url, "-Atc", "select current_user"]
    who = subprocess.run(psql, env=env, capture_output=True, text=True, check=True).stdout.strip()
say("python Proxy + psql:", f"select current_user → {who} (psql had no password)")

# ElastiCache-style IAM login: redis-py through iamdb's cache front, which checks the token.
import redis  # noqa: E402

import rds_iam.redis  # noqa: E402

cache = rds_iam.Signer(
    os.environ["IAMDB_CACHE_NAME"],
    user=os.environ["IAMDB_CACHE_USER"],
    kind="elasticache",
    region="us-east-1",
)
r = redis.Redis(
    host=host,
    port=int(os.environ["IAMDB_CACHE_PORT"]),
    ssl=True,
    ssl_ca_certs=ca,
    credential_provider=rds_iam.redis.credential_provider(cache),
)
r.set("demo", "python")
say("python redis-py (cache):", f"ACL WHOAMI → {r.acl_whoami()}, GET demo → {r.get('demo')!r}")
r.close()
