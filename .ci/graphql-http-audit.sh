#!/bin/sh
# The GraphQL-over-HTTP audit of npm's graphql-http against the real server:
# builds usergraph, starts it on a fresh SQLite file on 127.0.0.1, and runs
# .ci/graphql-http-audit.mjs, which fails on any MUST or SHOULD not met.
# graphql-http is installed once into a cache directory
# ($USERGRAPH_CI_CACHE, else ~/.cache/usergraph-ci), at the pinned version.
# Without node and npm the audit is skipped with a message: the Go test
# e2e/http_spec_test.go checks the same statuses without them.
set -eu
cd "$(dirname "$0")/.."

GRAPHQL_HTTP_VERSION=1.23.1
GRAPHQL_VERSION=16.11.0 # graphql-http's peer dependency

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	echo "skipped: node and npm are not installed (the audit needs Node 20 or later; e2e/http_spec_test.go checks the same statuses)"
	exit 0
fi

cache=${USERGRAPH_CI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/usergraph-ci}
dir=$cache/graphql-http-$GRAPHQL_HTTP_VERSION-graphql-$GRAPHQL_VERSION
if [ ! -f "$dir/node_modules/graphql-http/package.json" ]; then
	mkdir -p "$dir"
	npm install --prefix "$dir" --no-audit --no-fund --loglevel=error \
		"graphql-http@$GRAPHQL_HTTP_VERSION" "graphql@$GRAPHQL_VERSION"
fi

tmp=$(mktemp -d)
pid=
cleanup() {
	if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

go build -o "$tmp/usergraph" .
"$tmp/usergraph" -listen 127.0.0.1:0 -database-url "sqlite:$tmp/usergraph.db" -log-format json >"$tmp/log" 2>&1 &
pid=$!

# The server logs its endpoint ("graphql":"http://127.0.0.1:PORT/graphql")
# once it listens.
url=
for _ in $(seq 1 100); do
	url=$(sed -n 's/.*"graphql":"\(http:[^"]*\)".*/\1/p' "$tmp/log" | head -n 1)
	[ -n "$url" ] && break
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.1
done
if [ -z "$url" ]; then
	echo "the server did not start:"; cat "$tmp/log"; exit 1
fi

GRAPHQL_HTTP_DIR=$dir node .ci/graphql-http-audit.mjs "$url"
