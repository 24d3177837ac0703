// Runs the GraphQL-over-HTTP server audit of npm's graphql-http
// (serverAudits: every MUST, SHOULD and MAY of the spec it checks) against
// a running usergraph, prints every result, and exits 1 if any MUST fails
// (error) or any SHOULD fails (warn). A MAY that is not done (notice) is
// printed but passes: the spec leaves it to the server.
//
//   GRAPHQL_HTTP_DIR=<dir with node_modules/graphql-http> node .ci/graphql-http-audit.mjs http://127.0.0.1:PORT/graphql
//
// .ci/run installs graphql-http (pinned there) into a cache directory and
// starts the server; see its "GraphQL-over-HTTP audit" step.
import { createRequire } from 'node:module';
import path from 'node:path';

const [url] = process.argv.slice(2);
const dir = process.env.GRAPHQL_HTTP_DIR;
if (!url || !dir) {
	console.error('usage: GRAPHQL_HTTP_DIR=DIR node graphql-http-audit.mjs URL');
	process.exit(2);
}
const require = createRequire(path.join(path.resolve(dir), 'package.json'));
const { serverAudits } = require('graphql-http');

const counts = { ok: 0, notice: 0, warn: 0, error: 0 };
// One after the other, so the output reads in the audit's order and the
// server's log lines match it.
for (const audit of serverAudits({ url, fetchFn: fetch })) {
	const result = await audit.fn();
	counts[result.status]++;
	let line = `${result.status.padEnd(6)} ${result.id} ${result.name}`;
	if (result.status !== 'ok') {
		const body = await result.response.text().catch(() => '');
		line += `\n       ${result.reason}\n       HTTP ${result.response.status} ${result.response.headers.get('content-type') ?? ''}: ${body.slice(0, 300)}`;
	}
	console.log(line);
}
console.log(`graphql-http audit: ${counts.ok} ok, ${counts.notice} MAY not done (notice), ${counts.warn} SHOULD failing (warn), ${counts.error} MUST failing (error)`);
process.exit(counts.warn + counts.error > 0 ? 1 : 0);
