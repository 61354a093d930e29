# Sourced by .ci/run: installs (if needed) and starts a throw-away PostgreSQL server on 127.0.0.1,
# then exports FEEDBACK_NLP_TEST_POSTGRES_URL for the tests marked `postgres`.
# Usable by hand too: `source .ci/postgres.sh`.

pg_port="${FEEDBACK_NLP_TEST_PG_PORT:-54329}"
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    (apt-get update -qq && apt-get install -y -qq postgresql >/dev/null) || return 1
fi
pg_bin="$(dirname "$(ls -d /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)")"
pg_dir="$(mktemp -d /tmp/feedback-nlp-pg.XXXXXX)"
chown postgres "$pg_dir" 2>/dev/null || true
as_pg() { if [ "$(id -u)" -eq 0 ]; then su postgres -s /bin/bash -c "$*"; else bash -c "$*"; fi; }
as_pg "'$pg_bin/initdb' -D '$pg_dir/data' -U postgres --auth=trust -E UTF8 >/dev/null" || return 1
as_pg "'$pg_bin/pg_ctl' -D '$pg_dir/data' -o \"-p $pg_port -k '$pg_dir' -c listen_addresses=127.0.0.1\" -l '$pg_dir/log' -w start >/dev/null" || return 1
as_pg "'$pg_bin/createdb' -h 127.0.0.1 -p $pg_port -U postgres feedback_nlp_test" || return 1
export FEEDBACK_NLP_TEST_POSTGRES_URL="postgresql+psycopg://postgres@127.0.0.1:${pg_port}/feedback_nlp_test"
# Stops this throw-away server (`.ci/run` calls it on exit, so a port is never left taken).
ci_postgres_stop() { as_pg "'$pg_bin/pg_ctl' -D '$pg_dir/data' -m fast stop >/dev/null" || true; }
