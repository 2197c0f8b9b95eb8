// Runs before `npm run demo` and `npm test` (as their npm "pre" scripts) with whatever
// Node the machine has, so it is plain CommonJS. On a fresh clone it installs the locked
// dependencies, which include the pinned Node 24 the project runs on; afterwards it
// costs one stat and does nothing.
'use strict';
const { existsSync } = require('node:fs');
const { execSync } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const needed = ['node_modules/.bin/node', 'node_modules/.bin/vitest', 'node_modules/.bin/tsc', 'node_modules/openpgp'];
if (needed.every((p) => existsSync(path.join(root, p)))) process.exit(0);

process.stderr.write('signet: first run on this clone: installing locked dependencies (npm ci), including Node 24...\n');
execSync('npm ci --no-audit --no-fund', { cwd: root, stdio: 'inherit' });
