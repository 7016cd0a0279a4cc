"""``ENGINE: "rds_iam.django.postgresql"``: Django's PostgreSQL backend logging in with IAM auth
tokens (see :mod:`rds_iam.django`)."""
