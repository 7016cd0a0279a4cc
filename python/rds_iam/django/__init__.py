"""Django database backends that log in with IAM auth tokens.

``ENGINE: "rds_iam.django.postgresql"`` (psycopg 3 or psycopg2; Django's psycopg pool too) and
``ENGINE: "rds_iam.django.mysql"`` (mysqlclient), with ``HOST`` / ``PORT`` / ``USER`` / ``NAME``
as usual, no ``PASSWORD``, and the signer's settings in ``OPTIONS``::

    DATABASES = {
        "default": {
            "ENGINE": "rds_iam.django.postgresql",
            "HOST": "mydb.abc123.us-east-1.rds.amazonaws.com",
            "USER": "app_user",
            "NAME": "app",
            "OPTIONS": {"region": "us-east-1", "profile": "prod"},  # all optional
        }
    }

``OPTIONS`` keys named like ``rds_iam.Signer``'s keyword arguments (``region``, ``sign_host``,
``profile``, ``role_arn``, ``reuse_for``, …: the core's list, ``rds_iam._native.SIGNER_OPTIONS``)
and the helpers' ``ca`` / ``ssl_verify`` go to rds_iam; the rest to the driver, as with Django's
own backends.
Every new connection gets a token (reused while good): ``CONN_MAX_AGE`` reconnects, Django's
health checks and the PostgreSQL pool (``OPTIONS: {"pool": True}``) included.
"""
