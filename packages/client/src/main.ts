#!/usr/bin/env node
/** signet: the signing client. See `signet --help`. */
import { enablePrivateCompileCache } from './compile-cache.ts';

// Before the rest of the client is loaded, so that loading it can use the cache.
enablePrivateCompileCache();
const { runCli } = await import('./cli.ts');

runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env }).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`signet: INTERNAL: ${(err as Error).message}\n`);
    process.exitCode = 1;
  },
);
