import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTlsMaterial, readConfigFile } from '@signet/protocol';

/** Config and TLS files are bounded before they are read: a device or a huge file is refused, not read. */
describe('bounded reads of config and TLS files', () => {
  it('refuses a device (which reports size 0 and never ends) and a file over the limit, without reading it', () => {
    expect(() => readConfigFile('/dev/zero', 'test')).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining('not a regular file') as unknown }));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'signet-'));
    try {
      const big = path.join(dir, 'big.pem');
      fs.writeFileSync(big, '');
      fs.truncateSync(big, 2 * 1024 * 1024); // sparse: 2 MiB announced
      expect(() => loadTlsMaterial({ cert: big, key: big, ca: big })).toThrow(expect.objectContaining({ code: 'TLS_FILE_UNREADABLE', message: expect.stringContaining('larger than') as unknown }));
      const cfg = path.join(dir, 'c.json');
      fs.writeFileSync(cfg, '{"a":1}');
      expect(readConfigFile(cfg, 'test')).toEqual({ a: 1 });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
