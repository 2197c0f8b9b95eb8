import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadKojiProfile } from '../../../packages/client/src/koji/index.ts';
import { codeOf } from '../../helpers/error-code.ts';

let dir: string;
let etc: string;
let home: string;

function write(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
}


beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'signet-'));
  etc = path.join(dir, 'etc');
  home = path.join(dir, 'home');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('Koji client configuration', () => {
  it('merges /etc/koji.conf, koji.conf.d (sorted) and ~/.koji/config key by key, and expands ~', () => {
    write(path.join(etc, 'koji.conf'), '[koji]\nserver = https://koji.example.org/kojihub\ntopurl = https://koji.example.org/kojifiles\nauthtype = ssl\n# comment\nmax_retries = 3\nanon_retry = true\n');
    write(path.join(etc, 'koji.conf.d', 'b.conf'), '[stg]\nserver = https://stg.example.org/kojihub\n');
    write(path.join(etc, 'koji.conf.d', 'a.conf'), '[stg]\nserver = https://a.example.org/kojihub\ntopdir = /mnt/koji\n');
    write(path.join(home, '.koji', 'config'), '[koji]\ncert = ~/.koji/client.pem\nserverca = ~/.koji/ca.crt\ntimeout: 30\n');
    const koji = loadKojiProfile('koji', { etc, home });
    expect(koji).toMatchObject({
      name: 'koji',
      server: 'https://koji.example.org/kojihub',
      topurl: 'https://koji.example.org/kojifiles',
      authtype: 'ssl',
      cert: path.join(home, '.koji', 'client.pem'),
      serverca: path.join(home, '.koji', 'ca.crt'),
      timeoutMs: 30_000,
      maxRetries: 3,
      topdir: undefined,
    });
    expect(koji.sources).toEqual([path.join(etc, 'koji.conf'), path.join(etc, 'koji.conf.d', 'a.conf'), path.join(etc, 'koji.conf.d', 'b.conf'), path.join(home, '.koji', 'config')]);
    // b.conf is read after a.conf, so its server wins; topdir from a.conf stays.
    expect(loadKojiProfile('stg', { etc, home })).toMatchObject({ server: 'https://stg.example.org/kojihub', topdir: '/mnt/koji' });
  });

  it('says which profiles exist when --koji names a missing one', () => {
    write(path.join(etc, 'koji.conf'), '[koji]\nserver = https://k/kojihub\n');
    expect(codeOf(() => loadKojiProfile('nope', { etc, home }))).toBe('KOJI_PROFILE_NOT_FOUND');
    expect(codeOf(() => loadKojiProfile('koji', { etc: path.join(dir, 'none'), home }))).toBe('KOJI_PROFILE_NOT_FOUND');
  });

  it('is strict: unknown options, bad values, relative paths, continuation lines, oversized files', () => {
    const bad = [
      '[koji]\nserver = https://k/kojihub\nservr = typo\n',
      '[koji]\nserver = ftp://k/kojihub\n',
      '[koji]\ntopurl = https://k/files\n',
      '[koji]\nserver = https://k/kojihub\ncert = relative/cert.pem\n',
      '[koji]\nserver = https://k/kojihub\nauthtype = magic\n',
      '[koji]\nserver = https://k/kojihub\n  continued\n',
      'server = https://k/kojihub\n',
      '[koji]\nserver = https://k/kojihub\ntimeout = -1\n',
      '[koji]\njust text\n',
      `[koji]\nserver = https://k/kojihub\n${'#'.repeat(300 * 1024)}\n`,
    ];
    for (const text of bad) {
      write(path.join(etc, 'koji.conf'), text);
      expect(codeOf(() => loadKojiProfile('koji', { etc, home })), text.slice(0, 60)).toBe('KOJI_CONFIG_INVALID');
    }
  });
});
