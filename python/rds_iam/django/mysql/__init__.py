"""``ENGINE: "rds_iam.django.mysql"``: Django's MySQL backend (mysqlclient) logging in with IAM
auth tokens (see :mod:`rds_iam.django`)."""
