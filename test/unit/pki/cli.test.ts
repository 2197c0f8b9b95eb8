import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { roleOf } from '@signet/protocol';

/** signet-pki as a real process: `node pki/src/main.ts ...`. */
const MAIN = fileURLToPath(new URL('../../../pki/src/main.ts', import.meta.url));

let dir: string;
let caDir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'signet-'));
  caDir = path.join(dir, 'ca');
});

afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function pki(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function init(): void {
  const r = pki('init', '--dir', caDir, '--key-bits', '2048');
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
}

describe('signet-pki CLI', () => {
  it('init creates the CA; a second init is refused with PKI_CA_EXISTS (exit 1)', () => {
    const r = pki('init', '--dir', caDir, '--name', 'CLI Test CA', '--days', '30', '--key-bits', '2048');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('created CA');
    const ca = new X509Certificate(fs.readFileSync(path.join(caDir, 'ca.crt')));
    expect(ca.subject).toBe('CN=CLI Test CA');
    expect(ca.ca).toBe(true);
    expect(fs.statSync(path.join(caDir, 'ca.key')).mode & 0o777).toBe(0o600);
    const key = fs.readFileSync(path.join(caDir, 'ca.key'));

    const again = pki('init', '--dir', caDir, '--key-bits', '2048');
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/^signet-pki: PKI_CA_EXISTS: /);
    expect(fs.readFileSync(path.join(caDir, 'ca.key'))).toEqual(key);
  });

  it('issue writes a bridge certificate with the SANs asked for', () => {
    init();
    const r = pki('issue', '--dir', caDir, '--role', 'bridge', '--name', 'localhost', '--ip', '127.0.0.1', '--dns', 'bridge.test', '--key-bits', '2048', '--days', '90');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const x = new X509Certificate(fs.readFileSync(path.join(caDir, 'issued', 'localhost.crt')));
    expect(roleOf(x)).toBe('bridge');
    expect(x.subjectAltName).toBe('DNS:localhost, DNS:bridge.test, IP Address:127.0.0.1');
    expect(Math.round((x.validToDate.getTime() - Date.now()) / 86_400_000)).toBe(90);
    expect(fs.statSync(path.join(caDir, 'issued', 'localhost.key')).mode & 0o777).toBe(0o600);
  });

  it('issue --out writes PREFIX.crt and PREFIX.key; an existing key is refused without --force', () => {
    init();
    const prefix = path.join(dir, 'alice');
    expect(pki('issue', '--dir', caDir, '--role', 'client', '--name', 'alice', '--key-bits', '2048', '--out', prefix).status).toBe(0);
    expect(roleOf(new X509Certificate(fs.readFileSync(`${prefix}.crt`)))).toBe('client');
    const again = pki('issue', '--dir', caDir, '--role', 'client', '--name', 'alice', '--key-bits', '2048', '--out', prefix);
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/^signet-pki: PKI_EXISTS: /);
    expect(pki('issue', '--dir', caDir, '--role', 'client', '--name', 'alice', '--key-bits', '2048', '--out', prefix, '--force').status).toBe(0);
  });

  it('refuses bad names with PKI_BAD_NAME (exit 2) and writes nothing', () => {
    init();
    for (const [role, name] of [['client', 'Alice'], ['client', '../alice'], ['server', 'not_a_host'], ['bridge', 'a b']]) {
      const r = pki('issue', '--dir', caDir, '--role', role as string, '--name', name as string, '--key-bits', '2048');
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/^signet-pki: PKI_BAD_NAME: /);
    }
    expect(fs.existsSync(path.join(caDir, 'issued'))).toBe(false);
  });

  it('refuses unknown options, missing options and bad values with PKI_USAGE (exit 2)', () => {
    init();
    const cases: string[][] = [
      ['issue', '--dir', caDir, '--role', 'client', '--name', 'alice', '--bogus'],
      ['issue', '--dir', caDir, '--role', 'client'],
      ['issue', '--dir', caDir, '--role', 'admin', '--name', 'alice'],
      ['issue', '--dir', caDir, '--role', 'client', '--name', 'alice', '--key-bits', '1024'],
      ['issue', '--dir', caDir, '--role', 'client', '--name', 'alice', 'stray-positional'],
      ['issue', '--dir', caDir, '--role', 'client', '--name', 'alice', '--dns', 'x.test'],
      ['list'],
      ['frobnicate'],
      [],
    ];
    for (const args of cases) {
      const r = pki(...args);
      expect({ args, status: r.status }).toEqual({ args, status: 2 });
      expect(r.stderr).toMatch(/^signet-pki: PKI_USAGE: /);
    }
    const days = pki('issue', '--dir', caDir, '--role', 'client', '--name', 'alice', '--days', 'ten');
    expect(days.status).toBe(2);
    expect(days.stderr).toMatch(/^signet-pki: PKI_BAD_VALIDITY: /);
  });

  it('refuses to issue or list without a CA (PKI_NO_CA, exit 1)', () => {
    const issue = pki('issue', '--dir', caDir, '--role', 'client', '--name', 'alice', '--key-bits', '2048');
    expect(issue.status).toBe(1);
    expect(issue.stderr).toMatch(/^signet-pki: PKI_NO_CA: /);
    const list = pki('list', '--dir', caDir);
    expect(list.status).toBe(1);
    expect(list.stderr).toMatch(/^signet-pki: PKI_NO_CA: /);
  });

  it('list shows a table flagging EXPIRED and expiring certificates; --json parses', () => {
    init();
    expect(pki('issue', '--dir', caDir, '--role', 'server', '--name', 'signet-server.test', '--key-bits', '2048').status).toBe(0);
    expect(pki('issue', '--dir', caDir, '--role', 'client', '--name', 'old', '--key-bits', '2048', '--not-before', '2020-01-01', '--not-after', '2020-02-01T00:00:00Z').status).toBe(0);
    expect(pki('issue', '--dir', caDir, '--role', 'client', '--name', 'soon', '--key-bits', '2048', '--days', '5').status).toBe(0);

    const table = pki('list', '--dir', caDir);
    expect(table.status).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[1]).toMatch(/^CRL: number 1  next update \S+ \([67] days\)$/);
    expect(lines[2]).toMatch(/^ROLE\s+NAME\s+SERIAL\s+NOT AFTER\s+DAYS LEFT\s+STATUS$/);
    expect(lines.find((l) => l.includes('signet-server.test'))).toMatch(/^server\s+signet-server\.test\s+[0-9A-F]{32}\s+\S+\s+36[45]$/);
    expect(lines.find((l) => l.includes(' old '))).toMatch(/EXPIRED$/);
    expect(lines.find((l) => l.includes(' soon '))).toMatch(/expires soon$/);

    const json = pki('list', '--dir', caDir, '--json');
    expect(json.status).toBe(0);
    const listing = JSON.parse(json.stdout) as { certificates: { name: string; role: string; status: string; serial: string }[] };
    expect(listing.certificates.map((c) => [c.role, c.name, c.status])).toEqual([
      ['server', 'signet-server.test', 'valid'],
      ['client', 'old', 'expired'],
      ['client', 'soon', 'expiring'],
    ]);
    const serverCert = new X509Certificate(fs.readFileSync(path.join(caDir, 'issued', 'signet-server.test.crt')));
    expect(listing.certificates[0]?.serial).toBe(serverCert.serialNumber);
  });

  it('--help prints usage and exits 0', () => {
    const r = pki('--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('signet-pki issue --dir DIR --role bridge|server|client --name NAME');
  });
});

describe('signet-pki lifecycle commands', () => {
  const serialOf = (file: string) => new X509Certificate(fs.readFileSync(file)).serialNumber;

  it('renew, revoke, crl and list --expiring-within work end to end and print what they did', () => {
    init();
    expect(pki('issue', '--dir', caDir, '--role', 'client', '--name', 'alice', '--key-bits', '2048', '--days', '10').status).toBe(0);
    const alice = path.join(caDir, 'issued', 'alice.crt');
    const first = serialOf(alice);

    const soon = pki('list', '--dir', caDir, '--expiring-within', '30', '--json');
    expect(soon.status).toBe(0);
    expect((JSON.parse(soon.stdout) as { certificates: { serial: string }[] }).certificates.map((c) => c.serial)).toEqual([first]);

    const renew = pki('renew', '--dir', caDir, '--name', 'alice', '--key-bits', '2048');
    expect(renew.stderr).toBe('');
    expect(renew.status).toBe(0);
    const second = serialOf(alice);
    expect(renew.stdout).toContain(`serial ${second} replaces ${first}`);
    const none = pki('list', '--dir', caDir, '--expiring-within', '30');
    expect(none.status).toBe(0);
    expect(none.stdout).toContain('no certificate expires within 30 days');

    const revoke = pki('revoke', '--dir', caDir, '--serial', first.toLowerCase(), '--reason', 'superseded');
    expect(revoke.status).toBe(0);
    expect(revoke.stdout).toContain(`revoked client certificate 'alice' serial ${first} (superseded)`);
    expect(revoke.stdout).toMatch(/CRL number 2, next update \S+\n {2}wrote .*crl\.pem\n/);

    const crl = pki('crl', '--dir', caDir, '--days', '14');
    expect(crl.status).toBe(0);
    expect(crl.stdout).toMatch(/^CRL number 3, next update /);

    const table = pki('list', '--dir', caDir).stdout.split('\n');
    expect(table.find((l) => l.includes(first))).toMatch(/revoked \(superseded\)$/);
    expect(table.find((l) => l.includes(second))).toMatch(/\s\d+$/);
    expect(table[1]).toMatch(/^CRL: number 3 {2}next update \S+ \(1[34] days\)$/);
  });

  it('rollover and retire-ca print the bundles to distribute and refuse out of order (exit 1)', () => {
    init();
    const oldSerial = serialOf(path.join(caDir, 'ca.crt'));
    const r = pki('rollover', '--dir', caDir, '--key-bits', '2048', '--days', '100');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`previous CA serial ${oldSerial} moved to previous/${oldSerial}/`);
    expect(r.stdout).toContain('ca-bundle.pem');
    const twice = pki('rollover', '--dir', caDir, '--key-bits', '2048');
    expect([twice.status, twice.stderr.split(':')[1]?.trim()]).toEqual([1, 'PKI_ROLLOVER_PENDING']);
    const current = pki('retire-ca', '--dir', caDir, '--serial', serialOf(path.join(caDir, 'ca.crt')));
    expect([current.status, current.stderr.split(':')[1]?.trim()]).toEqual([1, 'PKI_CA_CURRENT']);
    const retire = pki('retire-ca', '--dir', caDir, '--serial', oldSerial);
    expect(retire.status).toBe(0);
    expect(retire.stdout).toContain(`retired CA 'Signet CA' serial ${oldSerial}`);
  });

  it('refuses bad lifecycle command lines with exit 2, and unknown targets with exit 1', () => {
    init();
    const usage: string[][] = [
      ['renew', '--dir', caDir],
      ['renew', '--dir', caDir, '--name', 'alice', '--reuse-key', '--key-bits', '2048'],
      ['revoke', '--dir', caDir],
      ['revoke', '--dir', caDir, '--serial', 'zz'],
      ['revoke', '--dir', caDir, '--serial', '0A', '--name', 'alice'],
      ['revoke', '--dir', caDir, '--serial', '0A', '--reason', 'caCompromise'],
      ['list', '--dir', caDir, '--expiring-within', 'soon'],
      ['retire-ca', '--dir', caDir],
      ['rollover', '--dir', caDir, '--bogus'],
    ];
    for (const args of usage) {
      const r = pki(...args);
      expect({ args, status: r.status, code: r.stderr.split(':')[1]?.trim() }).toEqual({ args, status: 2, code: 'PKI_USAGE' });
    }
    const days = pki('crl', '--dir', caDir, '--days', '400');
    expect([days.status, days.stderr.split(':')[1]?.trim()]).toEqual([2, 'PKI_BAD_VALIDITY']);
    const failures: [string[], string][] = [
      [['renew', '--dir', caDir, '--name', 'nobody'], 'PKI_UNKNOWN_NAME'],
      [['revoke', '--dir', caDir, '--serial', '0A'], 'PKI_UNKNOWN_SERIAL'],
      [['revoke', '--dir', caDir, '--name', 'nobody'], 'PKI_UNKNOWN_NAME'],
      [['retire-ca', '--dir', caDir, '--serial', '0A'], 'PKI_UNKNOWN_SERIAL'],
      [['crl', '--dir', path.join(dir, 'none')], 'PKI_NO_CA'],
    ];
    for (const [args, code] of failures) {
      const r = pki(...args);
      expect({ args, status: r.status, code: r.stderr.split(':')[1]?.trim() }).toEqual({ args, status: 1, code });
    }
  });
});
