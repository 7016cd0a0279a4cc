"""The one documented way the docs' placeholder names reach iamdb (tests/docs/README.md).

The pages name an RDS endpoint, its ports and a DSQL cluster that do not exist. Before a block
runs, each placeholder below is replaced by iamdb's value; nothing else in the block changes.
The run happens in a private network and mount namespace (run_docs.sh), whose /etc/hosts maps
iamdb's names to 127.0.0.1 and whose 127.0.0.1:5432 forwards to iamdb's PostgreSQL (DSQL
endpoints are dialled on 5432 and their tokens carry no port). The database side is what the
pages' own SQL creates (the user `app_user`), plus the database `app` on both servers and the
MariaDB user (iamdb's MariaDB logs IAM users in through PAM, not AWSAuthenticationPlugin).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

#: The RDS endpoint the pages use, and iamdb's RDS-style name (its certificate carries it).
RDS_PLACEHOLDER = "mydb.abc123.us-east-1.rds.amazonaws.com"
#: The DSQL cluster id the pages use.
DSQL_PLACEHOLDER = "abcdefghijklmnopqrstuvwxyz"
#: A private CA file the pages show as `ca=`; iamdb's test CA stands in for it.
CA_PLACEHOLDER = "/etc/my-ca.pem"


def table(env: Mapping[str, str]) -> list[tuple[re.Pattern[str], str]]:
    """(placeholder, iamdb value) pairs, applied in order to every block before it runs."""
    pairs = [
        (re.escape(RDS_PLACEHOLDER), env["IAMDB_RDS_HOST"]),
        (re.escape(DSQL_PLACEHOLDER), env["IAMDB_DSQL_CLUSTER_ID"]),
        (re.escape(CA_PLACEHOLDER), env["IAMDB_CA_FILE"]),
        # RDS ports: the token carries the port, and iamdb's servers listen on free ports.
        (r"(?<![\d.])5432(?!\d)", env["IAMDB_PG_PORT"]),
        (r"(?<![\d.])3306(?!\d)", env["IAMDB_MYSQL_PORT"]),
        (r"(?<![\d.])6379(?!\d)", env["IAMDB_CACHE_PORT"]),
    ]
    return [(re.compile(p), v) for p, v in pairs]


def substitute(code: str, env: Mapping[str, str]) -> str:
    """The block's code with each placeholder replaced by iamdb's value."""
    for pattern, value in table(env):
        code = pattern.sub(value, code)
    return code


def hosts(env: Mapping[str, str]) -> str:
    """The private /etc/hosts: iamdb's names on the loopback."""
    names = [env["IAMDB_RDS_HOST"], env["IAMDB_DSQL_HOST"]]
    return "127.0.0.1 localhost\n::1 localhost\n" + "".join(f"127.0.0.1 {n}\n" for n in names)
