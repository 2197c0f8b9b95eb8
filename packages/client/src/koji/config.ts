import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KojiError } from './errors.ts';

/**
 * The standard Koji client configuration, read as the `koji` CLI does: INI files with one
 * section per profile, later files overriding earlier ones key by key:
 *
 *   <etc>/koji.conf, <etc>/koji.conf.d/*.conf (sorted), <home>/.koji/config.d/*.conf (sorted),
 *   <home>/.koji/config
 *
 * `--koji PROFILE` picks a section (default `koji`). Paths are expanded (`~`, `~/…`) and
 * must then be absolute. Strict: an option Koji itself does not know is an error naming
 * file and line; an option Koji knows but Signet does not use is read and ignored.
 */

export type KojiAuthType = 'ssl' | 'password' | 'kerberos' | 'noauth';

export interface KojiProfile {
  readonly name: string;
  /** XML-RPC URL of the hub (`server`). */
  readonly server: string;
  readonly weburl: string | undefined;
  /** URL under which `topdir` is served (`topurl`). */
  readonly topurl: string | undefined;
  /** Local mount of the hub's files (`topdir`), absolute. */
  readonly topdir: string | undefined;
  readonly authtype: KojiAuthType | undefined;
  /** PEM client certificate (and key) for `sslLogin`, absolute. */
  readonly cert: string | undefined;
  /** PEM CA bundle for the hub's certificate, absolute. */
  readonly serverca: string | undefined;
  readonly user: string | undefined;
  /** `timeout` in seconds, as milliseconds. */
  readonly timeoutMs: number | undefined;
  /** `max_retries`. */
  readonly maxRetries: number | undefined;
  /** The files that were read, in order. */
  readonly sources: readonly string[];
}

/** Where to look; tests point these at temp directories. */
export interface KojiConfigRoots {
  /** Default `/etc`. */
  readonly etc?: string;
  /** Default the user's home directory. */
  readonly home?: string;
}

export const KOJI_CONFIG_LIMITS = { maxFileBytes: 256 * 1024, maxFiles: 256, maxLineLength: 4096, maxSections: 1024 } as const;

/** Options koji's `read_config` knows that Signet ignores. */
const KNOWN_IGNORED = new Set([
  'pkgurl', 'max_retries', 'retry_interval', 'anon_retry', 'offline_retry', 'offline_retry_interval',
  'auth_timeout', 'use_fast_upload', 'upload_blocksize', 'poll_interval', 'principal', 'keytab',
  'no_ssl_verify', 'debug', 'debug_xmlrpc', 'use_old_ssl', 'plugin_paths', 'plugins', 'krb_rdns',
  'krb_canon_host', 'krb_server_realm', 'krbservice', 'ca', 'serverca', 'password', 'timeout',
  'force_auth', 'profile', 'runas', 'noauth',
]);
const USED = new Set(['server', 'weburl', 'topurl', 'topdir', 'authtype', 'cert', 'serverca', 'user', 'timeout', 'max_retries']);

type Ini = Map<string, Map<string, { value: string; where: string }>>;

function invalid(message: string): KojiError {
  return new KojiError('KOJI_CONFIG_INVALID', message);
}

/** Parses one INI file into `ini` (merging key by key). Pure. */
export function parseKojiIni(text: string, file: string, ini: Ini = new Map()): Ini {
  let section: Map<string, { value: string; where: string }> | undefined;
  const lines = text.split(/\r?\n/);
  lines.forEach((line, index) => {
    const where = `${file}:${index + 1}`;
    if (line.length > KOJI_CONFIG_LIMITS.maxLineLength) throw invalid(`${where}: line longer than ${KOJI_CONFIG_LIMITS.maxLineLength} characters`);
    const t = line.trim();
    if (t === '' || t.startsWith('#') || t.startsWith(';')) return;
    // Threat: a continuation line silently joining a value (configparser's multi-line values) — refuse, be explicit.
    if (/^\s/.test(line)) throw invalid(`${where}: indented line (multi-line values are not supported)`);
    const header = /^\[([^\]]+)\]$/.exec(t);
    if (header !== null) {
      const name = (header[1] as string).trim();
      if (!/^[\w.@+-]+$/.test(name)) throw invalid(`${where}: bad profile name [${name.slice(0, 40)}]`);
      section = ini.get(name);
      if (section === undefined) {
        if (ini.size >= KOJI_CONFIG_LIMITS.maxSections) throw invalid(`${where}: more than ${KOJI_CONFIG_LIMITS.maxSections} profiles`);
        section = new Map();
        ini.set(name, section);
      }
      return;
    }
    const kv = /^([A-Za-z_][\w-]*)\s*[=:]\s*(.*)$/.exec(t);
    if (kv === null) throw invalid(`${where}: expected "key = value" or "[profile]"`);
    if (section === undefined) throw invalid(`${where}: option before any [profile] section`);
    const key = (kv[1] as string).toLowerCase();
    if (!USED.has(key) && !KNOWN_IGNORED.has(key)) throw invalid(`${where}: unknown Koji option "${key}"`);
    section.set(key, { value: (kv[2] as string).trim(), where });
  });
  return ini;
}

function readBounded(file: string): string | undefined {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch {
    return undefined;
  }
  if (!st.isFile()) throw invalid(`${file} is not a regular file`);
  if (st.size > KOJI_CONFIG_LIMITS.maxFileBytes) throw invalid(`${file} is ${st.size} bytes, more than ${KOJI_CONFIG_LIMITS.maxFileBytes}`);
  return fs.readFileSync(file, 'utf8');
}

function confDir(dir: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const confs = names.filter((n) => n.endsWith('.conf')).sort();
  if (confs.length > KOJI_CONFIG_LIMITS.maxFiles) throw invalid(`${dir} holds more than ${KOJI_CONFIG_LIMITS.maxFiles} .conf files`);
  return confs.map((n) => path.join(dir, n));
}

/** The files Koji reads, in order (existing or not). */
export function kojiConfigFiles(roots: KojiConfigRoots = {}): string[] {
  const etc = roots.etc ?? '/etc';
  const home = roots.home ?? os.homedir();
  return [
    path.join(etc, 'koji.conf'),
    ...confDir(path.join(etc, 'koji.conf.d')),
    ...confDir(path.join(home, '.koji', 'config.d')),
    path.join(home, '.koji', 'config'),
  ];
}

function expandPath(value: string, home: string, where: string, key: string): string {
  const expanded = value === '~' ? home : value.startsWith('~/') ? path.join(home, value.slice(2)) : value;
  if (!path.isAbsolute(expanded)) throw invalid(`${where}: ${key} must be an absolute path (or start with ~/), got "${value.slice(0, 80)}"`);
  return path.normalize(expanded);
}

function checkUrl(value: string, where: string, key: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid(`${where}: ${key} "${value.slice(0, 80)}" is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw invalid(`${where}: ${key} must be an http(s) URL`);
  return value;
}

function positiveNumber(value: string, where: string, key: string): number {
  const n = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || !(n > 0) || n > 86_400) throw invalid(`${where}: ${key} must be a positive number of seconds up to 86400`);
  return n;
}

/** Builds the profile `name` from parsed files. Pure (apart from `home` for `~`). */
export function kojiProfileFrom(ini: Ini, name: string, home: string, sources: readonly string[]): KojiProfile {
  const section = ini.get(name);
  if (section === undefined) {
    const known = [...ini.keys()].join(', ') || 'none';
    throw new KojiError('KOJI_PROFILE_NOT_FOUND', `no Koji profile [${name}] in ${sources.join(', ') || 'any configuration file'} (profiles found: ${known}); pick one with --koji PROFILE`);
  }
  const get = (key: string): { value: string; where: string } | undefined => {
    const e = section.get(key);
    return e === undefined || e.value === '' ? undefined : e;
  };
  const server = get('server');
  if (server === undefined) throw invalid(`Koji profile [${name}] has no "server" (the hub URL, e.g. https://koji.example.org/kojihub)`);
  const url = (key: string) => {
    const e = get(key);
    return e === undefined ? undefined : checkUrl(e.value, e.where, key);
  };
  const file = (key: string) => {
    const e = get(key);
    return e === undefined ? undefined : expandPath(e.value, home, e.where, key);
  };
  const auth = get('authtype');
  if (auth !== undefined && !['ssl', 'password', 'kerberos', 'noauth'].includes(auth.value)) {
    throw invalid(`${auth.where}: authtype must be ssl, password, kerberos or noauth`);
  }
  const timeout = get('timeout');
  const retries = get('max_retries');
  if (retries !== undefined && !/^\d{1,3}$/.test(retries.value)) throw invalid(`${retries.where}: max_retries must be a whole number up to 999`);
  return {
    name,
    server: checkUrl(server.value, server.where, 'server'),
    weburl: url('weburl'),
    topurl: url('topurl'),
    topdir: file('topdir'),
    authtype: auth?.value as KojiAuthType | undefined,
    cert: file('cert'),
    serverca: file('serverca'),
    user: get('user')?.value,
    timeoutMs: timeout === undefined ? undefined : Math.round(positiveNumber(timeout.value, timeout.where, 'timeout') * 1000),
    maxRetries: retries === undefined ? undefined : Number(retries.value),
    sources,
  };
}

/** Reads the standard files under `roots` and returns profile `profile` (default `koji`). */
export function loadKojiProfile(profile = 'koji', roots: KojiConfigRoots = {}): KojiProfile {
  const home = roots.home ?? os.homedir();
  const ini: Ini = new Map();
  const sources: string[] = [];
  for (const file of kojiConfigFiles(roots)) {
    const text = readBounded(file);
    if (text === undefined) continue;
    parseKojiIni(text, file, ini);
    sources.push(file);
  }
  return kojiProfileFrom(ini, profile, home, sources);
}
