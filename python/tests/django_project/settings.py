"""The Django project the Django backend tests run: settings from iamdb's environment (set by
test_django.py). Three aliases on the rds_iam backends: PostgreSQL with CONN_MAX_AGE, PostgreSQL
through Django's psycopg pool, MariaDB through mysqlclient."""

from __future__ import annotations

import os

E = os.environ
SECRET_KEY = "rds-iam-tests-only"
USE_TZ = True
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "notes"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

_COMMON = {
    "HOST": E["IAMDB_HOST"],
    "USER": E["IAMDB_USER"],
    "CONN_HEALTH_CHECKS": True,
}
_SIGNER = {"region": E["IAMDB_REGION"], "reuse_for": 0.5, "ca": E["IAMDB_CA_FILE"]}
_PG = {
    **_COMMON,
    "ENGINE": "rds_iam.django.postgresql",
    "PORT": E["IAMDB_PG_PORT"],
    "NAME": E["IAMDB_DATABASE"],
}

DATABASES = {
    "default": {
        **_PG,
        "CONN_MAX_AGE": 1,
        "OPTIONS": {**_SIGNER, "options": f"-c search_path={E['DJANGO_PG_SCHEMA']}"},
    },
    "pooled": {
        **_PG,
        "OPTIONS": {
            **_SIGNER,
            "options": f"-c search_path={E['DJANGO_PG_SCHEMA']}",
            "pool": {"min_size": 1, "max_size": 1},
        },
    },
    "mysql": {
        **_COMMON,
        "ENGINE": "rds_iam.django.mysql",
        "PORT": E["IAMDB_MYSQL_PORT"],
        "NAME": E["DJANGO_MYSQL_DATABASE"],
        "CONN_MAX_AGE": 1,
        "OPTIONS": _SIGNER,
    },
}
