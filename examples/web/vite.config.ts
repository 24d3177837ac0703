import { defineConfig } from 'vitest/config';

// `npm run dev` serves the page on http://localhost:5173 and forwards
// /graphql to usergraph (USERGRAPH_URL, default http://127.0.0.1:8080), so
// the page and the API share an origin: no CORS setting needed.
export default defineConfig({
  server: {
    proxy: {
      '/graphql': process.env.USERGRAPH_URL ?? 'http://127.0.0.1:8080',
    },
  },
  test: {
    // The page runs at this origin, and usergraph (test/server.ts) lists it
    // in -cors-origins: the test goes through CORS as a page on another
    // origin does.
    environment: 'happy-dom',
    environmentOptions: { happyDOM: { url: 'http://localhost:5173' } },
    // Builds and starts a real usergraph for the page test (test/server.ts).
    globalSetup: ['test/server.ts'],
    testTimeout: 30_000,
    hookTimeout: 180_000,
  },
});
