#!/bin/sh
# The TypeScript example (examples/web): installs its pinned packages
# (npm ci, from package-lock.json), regenerates its typed documents from
# schema.graphqls and fails if they changed (a schema change that breaks
# the example breaks CI), type-checks and builds the page, and runs its
# test against a real usergraph (vitest: test/server.ts builds and starts
# one). npm's cache and the installed packages live in $USERGRAPH_CI_CACHE
# (else ~/.cache/usergraph-ci), so later runs install nothing. Without node
# and npm it is skipped with a message, as the audit is.
set -eu
cd "$(dirname "$0")/.."

# install_modules gives examples/web its node_modules. CI's clone has none:
# there node_modules is a link to a copy installed once per package-lock.json
# (by its hash) in the cache, so a run with an unchanged lock installs
# nothing. A checkout with node_modules of its own (a developer's) gets
# npm ci as usual.
install_modules() {
	modules=examples/web/node_modules
	if [ -d "$modules" ] && [ ! -L "$modules" ]; then
		npm ci --prefix examples/web --cache "$cache/npm" --prefer-offline --no-audit --no-fund --loglevel=error
		return
	fi
	lock=$(sha256sum examples/web/package-lock.json | cut -c1-16)
	kept=$cache/web-modules-$lock
	if [ ! -d "$kept/node_modules" ]; then
		rm -f "$modules"
		npm ci --prefix examples/web --cache "$cache/npm" --prefer-offline --no-audit --no-fund --loglevel=error
		rm -rf "$kept.tmp" && mkdir -p "$kept.tmp"
		mv "$modules" "$kept.tmp/node_modules"
		rm -rf "$kept" && mv "$kept.tmp" "$kept"
	fi
	ln -sfn "$(cd "$kept/node_modules" && pwd)" "$modules"
}

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	echo "skipped: node and npm are not installed (examples/web needs Node 20 or later)"
	exit 0
fi

cache=${USERGRAPH_CI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/usergraph-ci}
started=$(date +%s)
install_modules
installed=$(date +%s)

npm run --prefix examples/web --silent codegen >/dev/null
if ! git diff --quiet -- examples/web/src/gql || [ -n "$(git status --porcelain -- examples/web/src/gql)" ]; then
	echo "npm run codegen changed examples/web/src/gql: regenerate and commit"
	git status --short -- examples/web/src/gql
	exit 1
fi
npm run --prefix examples/web build
npm run --prefix examples/web test
echo "examples/web: install $((installed - started)) s, codegen + typecheck + build + test $(($(date +%s) - installed)) s"
