import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { TestProject } from 'vitest/node';

// Vitest's global setup: builds usergraph from this checkout (go build) and
// starts it on 127.0.0.1 with a fresh SQLite file and cheap password
// hashing, as the Go end-to-end tests do, allowing the page's origin (CORS); page.test.ts reads its endpoint
// with inject('usergraphURL'). Without Go the page test skips.

declare module 'vitest' {
  export interface ProvidedContext {
    usergraphURL: string;
  }
}

const repo = resolve(import.meta.dirname, '../../..');

export default async function setup(project: TestProject) {
  const dir = mkdtempSync(join(tmpdir(), 'usergraph-web-'));
  const binary = join(dir, 'usergraph');
  try {
    execFileSync('go', ['build', '-o', binary, '.'], { cwd: repo, stdio: 'inherit' });
  } catch (e) {
    console.warn(`could not build usergraph with go (${String(e)}): the page test skips`);
    project.provide('usergraphURL', '');
    return () => rmSync(dir, { recursive: true, force: true });
  }
  const server = spawn(
    binary,
    [
      '-listen', '127.0.0.1:0',
      '-database-url', `sqlite:${join(dir, 'usergraph.db')}`,
      '-log-format', 'json',
      '-argon2-memory-kib', '64', '-argon2-iterations', '1',
      // The origin vite.config.ts gives the page.
      '-cors-origins', 'http://localhost:5173',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  project.provide('usergraphURL', await endpointOf(server));
  return () => {
    server.kill();
    rmSync(dir, { recursive: true, force: true });
  };
}

// endpointOf waits for the log line that names the GraphQL endpoint.
function endpointOf(server: ChildProcess): Promise<string> {
  return new Promise((resolveURL, reject) => {
    let log = '';
    const read = (chunk: Buffer) => {
      log += chunk.toString();
      const m = /"graphql":"(http:[^"]+)"/.exec(log);
      if (m) resolveURL(m[1]);
    };
    server.stdout!.on('data', read);
    server.stderr!.on('data', read);
    server.on('exit', (code) => reject(new Error(`usergraph exited with ${code}:\n${log}`)));
    setTimeout(() => reject(new Error(`usergraph did not start in 30 s:\n${log}`)), 30_000).unref();
  });
}
