"""Runs in its own process (Django's settings are process-wide): `migrate` on PostgreSQL and
MariaDB, ORM writes and reads on every alias, then past iamdb's max token age (the test set it
short) the same aliases again, each on a new physical connection. Prints one JSON object."""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import datetime, timezone

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ["DJANGO_SETTINGS_MODULE"] = "settings"

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connections  # noqa: E402
from notes.models import Note  # noqa: E402

ALIASES = ("default", "pooled", "mysql")
WHO = {"default": "SELECT current_user", "pooled": "SELECT current_user"}
WHO["mysql"] = "SELECT SUBSTRING_INDEX(CURRENT_USER(), '@', 1)"


def round_trip(alias: str, text: str) -> dict[str, object]:
    Note.objects.using(alias).create(text=text)
    with connections[alias].cursor() as cur:
        cur.execute(WHO[alias])
        user = cur.fetchone()[0]
    return {"user": user, "texts": sorted(n.text for n in Note.objects.using(alias).all())}


def reconnect_all() -> None:
    """What Django does around each request: drop connections older than CONN_MAX_AGE; the
    pool's connections are replaced (drain) so the next query needs a new one."""
    for alias in ALIASES:
        conn = connections[alias]
        conn.close_if_unusable_or_obsolete()
    pool = connections["pooled"].pool
    connections["pooled"].close()
    pool.drain()


out: dict[str, object] = {}
call_command("migrate", database="default", verbosity=0)
call_command("migrate", database="mysql", verbosity=0)
out["first"] = {alias: round_trip(alias, f"{alias}-1") for alias in ALIASES}
pool = connections["pooled"].pool
out["pool_connection_class"] = pool.connection_class.__name__
frozen = dict(pool.kwargs)  # what Django gave the pool: the first token, frozen
time.sleep(float(os.environ["DJANGO_WAIT_S"]))  # past iamdb's max age
out["woke_at"] = datetime.now(timezone.utc).isoformat()
reconnect_all()
out["later"] = {alias: round_trip(alias, f"{alias}-2") for alias in ALIASES}
for alias in ALIASES:
    connections[alias].close()
try:  # the pool's own kwargs are now too old: our connection class is what kept it working
    import psycopg

    psycopg.connect(**{k: v for k, v in frozen.items() if k not in ("context", "cursor_factory")})
    out["frozen_kwargs"] = "accepted"
except psycopg.OperationalError:
    out["frozen_kwargs"] = "rejected"
pool.close()
print(json.dumps(out))
