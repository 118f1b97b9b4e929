#!/usr/bin/env bash
# Start and stop a Neo4j Community 5.26 server built from Maven Central (no Docker needed).
#
#   server.sh start [PORT]   start in the background with a throwaway data folder; print the URI
#   server.sh stop           stop it (and delete its data)
#   server.sh run CMD...     start on a free port, run CMD with NEO4J_URI/USER/PASSWORD set, stop
#   server.sh admin ARGS...  neo4j-admin ARGS on the data folder of the server started here: the
#                            server is stopped first (its data kept) and started again after, on
#                            its port; e.g. `server.sh admin database import full neo4j …`, the line
#                            `tracegraph neo4j import` prints (it runs this itself with --admin)
#
# State lives in .neo4j/ at the top of the checkout (NEO4J_STATE: another folder, for a second
# server). NEO4J_HEAP (default 2g) sizes the JVM heap, NEO4J_PAGECACHE_MB (default 1024) its page cache.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
top="$(cd "$here/../.." && pwd)"
state="${NEO4J_STATE:-$top/.neo4j}"
home="$state/home"  # the server's data folder, kept while it runs (admin works on it)
password="${NEO4J_TEST_PASSWORD:-tracegraph}"

build() {
  command -v java >/dev/null || { echo "Java 17 is needed to run Neo4j here (or set NEO4J_URI to a server of your own)" >&2; return 1; }
  command -v mvn >/dev/null || { echo "Maven is needed to fetch Neo4j from Maven Central (or set NEO4J_URI)" >&2; return 1; }
  if [ ! -d "$here/target/lib" ] || [ "$here/pom.xml" -nt "$here/target/lib" ] || [ "$here/src/main/java/tracegraph/neo4j/Server.java" -nt "$here/target/classes" ]; then
    echo "building the Neo4j server (first time: fetches Neo4j 5.26 from Maven Central)…" >&2
    (cd "$here" && mvn -q -B -DskipTests package >&2)
    touch "$here/target/lib" "$here/target/classes"
  fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

start() {
  local port="${1:-7687}"
  build
  mkdir -p "$state"
  if [ -f "$state/pid" ] && kill -0 "$(cat "$state/pid")" 2>/dev/null; then
    echo "a Neo4j server started here is already running: $(cat "$state/uri")"; return 0
  fi
  : > "$state/log"
  mkdir -p "$home"
  nohup java -Xms256m -Xmx"${NEO4J_HEAP:-2g}" -XX:+UseG1GC -cp "$here/target/classes:$here/target/lib/*" \
    tracegraph.neo4j.Server --host 127.0.0.1 --port "$port" --password "$password" --data "$home" \
    --page-cache-mb "${NEO4J_PAGECACHE_MB:-1024}" >"$state/log" 2>&1 &
  echo $! > "$state/pid"
  for _ in $(seq 1 180); do
    if grep -q '^READY' "$state/log"; then
      echo "bolt://127.0.0.1:$port" > "$state/uri"
      echo "Neo4j is up: NEO4J_URI=bolt://127.0.0.1:$port NEO4J_USER=neo4j NEO4J_PASSWORD=$password"
      echo "use it with: tracegraph --store bolt://127.0.0.1:$port --neo4j-password $password …"
      return 0
    fi
    if ! kill -0 "$(cat "$state/pid")" 2>/dev/null; then
      echo "Neo4j did not start; its log ($state/log) ends with:" >&2; tail -20 "$state/log" >&2; return 1
    fi
    sleep 1
  done
  echo "Neo4j did not answer within 180 s; see $state/log" >&2
  stop; return 1
}

# Stop the server started here; its data folder is deleted unless "$1" is "keep".
stop() {
  if [ -f "$state/pid" ]; then
    local pid; pid="$(cat "$state/pid")"
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid"
      for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
      kill -9 "$pid" 2>/dev/null || true
      echo "Neo4j stopped"
    fi
    rm -f "$state/pid"
    [ "${1:-}" = keep ] || rm -f "$state/uri"
  fi
  [ "${1:-}" = keep ] || rm -rf "$home"
}

# neo4j-admin (org.neo4j.cli.AdminTool, from the same jars as the server) on the data folder here,
# with the server stopped meanwhile and started again after on the port it had.
admin() {
  build
  local port=""
  if [ -f "$state/uri" ]; then port="$(sed 's/.*://' "$state/uri")"; fi
  stop keep >&2
  mkdir -p "$home"
  local status=0
  NEO4J_HOME="$home" NEO4J_CONF="$home/conf" java -Xmx"${NEO4J_HEAP:-2g}" -cp "$here/target/classes:$here/target/lib/*" \
    org.neo4j.cli.AdminTool "$@" || status=$?
  if [ -n "$port" ]; then start "$port" >&2 || status=$?; fi
  return $status
}

case "${1:-}" in
  start) shift; start "$@" ;;
  stop) stop ;;
  admin) shift; admin "$@" ;;
  build) build ;;
  run)
    shift
    port="$(free_port)"
    start "$port" >&2
    trap stop EXIT
    NEO4J_URI="bolt://127.0.0.1:$port" NEO4J_USER=neo4j NEO4J_PASSWORD="$password" "$@"
    ;;
  *) echo "usage: $0 start [PORT] | stop | build | run CMD... | admin ARGS..." >&2; exit 2 ;;
esac
