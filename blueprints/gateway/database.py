"""The gateway's own PostgreSQL (LiteLLM's DB mode: virtual keys, teams, budgets, spend), on Aurora PostgreSQL
with IAM database authentication (pure: names, SQL and the proxy's environment).

No password reaches the gateway: LiteLLM 1.81.16 builds its DATABASE_URL from DATABASE_HOST/PORT/USER/NAME with an
RDS IAM token when IAM_TOKEN_DB_AUTH is set (litellm/proxy/proxy_cli.py, before it migrates the schema) and renews
the token before it expires (litellm/proxy/db/prisma_client.py `PrismaWrapper`, `start_token_refresh_task`), with
the pod identity's credentials. The RDS-managed master password is read only by the bootstrap Job, which creates
the IAM-authenticated role that owns LiteLLM's schema.
"""

from __future__ import annotations

from typing import Any

DATABASE = "litellm"
MASTER_USER = "litellm_admin"
DB_USER = "litellm"
"""The role LiteLLM connects as (IAM authentication: member of rds_iam), owner of the public schema it migrates."""
BOOTSTRAP_NAMESPACE = "gateway-bootstrap"
BOOTSTRAP_SERVICE_ACCOUNT = "gateway-db-bootstrap"
IAM_AUTH_ENV = "IAM_TOKEN_DB_AUTH"
POSTGRES_PORT = 5432


def bootstrap_sql() -> str:
    """Idempotent: run as the RDS master user (rds_superuser, not a superuser: it may hand the database to a role
    only once it is a member of that role)."""
    return f"""DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{DB_USER}') THEN
    CREATE ROLE {DB_USER} LOGIN;
  END IF;
END
$$;
GRANT rds_iam TO {DB_USER};
GRANT {DB_USER} TO CURRENT_USER;
ALTER DATABASE {DATABASE} OWNER TO {DB_USER};
ALTER SCHEMA public OWNER TO {DB_USER};
"""


def database_environment(host: Any) -> dict[str, Any]:
    """The proxy's database settings: LiteLLM connects with a fresh IAM token, never a stored password."""
    return {IAM_AUTH_ENV: "True", "DATABASE_HOST": host, "DATABASE_PORT": str(POSTGRES_PORT), "DATABASE_USER": DB_USER,
            "DATABASE_NAME": DATABASE}
