#!/usr/bin/env bash
# Create the `smoothlms` database user (password `smoothlms`) on the local PostgreSQL and MariaDB,
# through their local sockets as the servers' administrators, so tests never depend on how the
# servers' own auth is set. Safe to run again. Needs root (or the postgres/mysql admin accounts).
set -u
ok=0
if command -v psql >/dev/null 2>&1; then
  if su postgres -c "psql -v ON_ERROR_STOP=1 -qAt" >/dev/null 2>&1 <<'SQL'
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'smoothlms') THEN
    CREATE ROLE smoothlms LOGIN PASSWORD 'smoothlms' CREATEDB;
  ELSE
    ALTER ROLE smoothlms LOGIN PASSWORD 'smoothlms' CREATEDB;
  END IF;
END $$;
SELECT 'CREATE DATABASE smoothlms OWNER smoothlms' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'smoothlms')\gexec
SQL
  then echo "postgresql: user smoothlms ready"; else echo "postgresql: could not provision (is it running?)"; ok=1; fi
fi
if command -v mariadb >/dev/null 2>&1; then
  if mariadb -uroot <<'SQL'
CREATE USER IF NOT EXISTS 'smoothlms'@'localhost' IDENTIFIED BY 'smoothlms';
CREATE USER IF NOT EXISTS 'smoothlms'@'127.0.0.1' IDENTIFIED BY 'smoothlms';
ALTER USER 'smoothlms'@'localhost' IDENTIFIED BY 'smoothlms';
ALTER USER 'smoothlms'@'127.0.0.1' IDENTIFIED BY 'smoothlms';
CREATE DATABASE IF NOT EXISTS smoothlms CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
GRANT ALL PRIVILEGES ON `smoothlms`.* TO 'smoothlms'@'localhost', 'smoothlms'@'127.0.0.1';
GRANT ALL PRIVILEGES ON `test\_smoothlms%`.* TO 'smoothlms'@'localhost', 'smoothlms'@'127.0.0.1';
FLUSH PRIVILEGES;
SQL
  then echo "mariadb: user smoothlms ready"; else echo "mariadb: could not provision (is it running?)"; ok=1; fi
fi
exit $ok
