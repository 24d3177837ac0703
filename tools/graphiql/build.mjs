// Bundles GraphiQL, React and graphql-js into one JS and one CSS file for
// usergraph to embed (httpapi/graphiql/assets/, served by httpapi/graphiql.go).
// Run with `npm run build` after `npm ci`; README.md says when and why.
import * as esbuild from 'esbuild';
import { fileURLToPath } from 'node:url';

const out = fileURLToPath(new URL('../../httpapi/graphiql/assets/', import.meta.url));

await esbuild.build({
  entryPoints: { graphiql: 'src/main.jsx' },
  outdir: out,
  bundle: true,
  minify: true,
  format: 'iife',
  target: ['es2020'],
  jsx: 'automatic',
  define: { 'process.env.NODE_ENV': '"production"' },
  // The licence notices of what is bundled go to graphiql.js.LEGAL.txt
  // (committed beside the bundle) rather than into the served file.
  legalComments: 'external',
  logLevel: 'info',
});
