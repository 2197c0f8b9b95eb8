import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { KojiInput, KojiStruct, KojiValue } from '../../packages/client/src/koji/index.ts';
import { actionNotAllowed, authError, genericError, HubFault, parameterError, pythonError } from './faults.ts';
import { buildDir, nvra, rpmPath, sigcachePath, signedPath } from './paths.ts';
import { parseRawHeader, ripRpmSighdr, sigkeyOfHeader, SIGTAG_MD5, spliceRpmSighdr } from './rawheader.ts';
import { md5hex } from './state.ts';
import type { HubBuild, HubRpm, HubSession, HubState, HubUser } from './state.ts';

/** Small pure-ish handlers (state in, value out, files under topdir) for the Koji calls a signer uses. */

export interface CallContext {
  readonly state: HubState;
  readonly session: HubSession | undefined;
  readonly user: HubUser | undefined;
  /** CN of a verified TLS client certificate, only on the `/ssllogin` endpoint. */
  readonly clientCN: string | undefined;
  /** Set by a handler that changed the database (Koji then commits, and the callnum with it). */
  committed: boolean;
}

type Params = readonly (readonly [name: string, fallback?: KojiValue])[];
type Handler = (ctx: CallContext, a: Record<string, KojiValue>) => KojiInput;

export interface MethodDef {
  readonly params: Params;
  readonly run: Handler;
}

/** Python-style argument binding; a mismatch is Koji's ParameterError (1019). */
export function bindArgs(method: string, params: Params, args: readonly KojiValue[], kwargs: KojiStruct): Record<string, KojiValue> {
  if (args.length > params.length) throw parameterError(`${method}() takes ${params.length} positional arguments but ${args.length} were given`);
  const out: Record<string, KojiValue> = Object.create(null) as Record<string, KojiValue>;
  params.forEach(([name], i) => {
    if (i < args.length) out[name] = args[i] as KojiValue;
  });
  for (const [k, v] of Object.entries(kwargs)) {
    if (!params.some(([name]) => name === k)) throw parameterError(`${method}() got an unexpected keyword argument '${k}'`);
    if (k in out) throw parameterError(`${method}() got multiple values for argument '${k}'`);
    out[k] = v;
  }
  for (const p of params) {
    if (p[0] in out) continue;
    if (p.length < 2) throw parameterError(`${method}() missing required argument: '${p[0]}'`);
    out[p[0]] = p[1] as KojiValue;
  }
  return out;
}

function isStruct(v: KojiValue | undefined): v is KojiStruct {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date) && !Buffer.isBuffer(v);
}

function pyRepr(v: KojiValue): string {
  if (typeof v === 'string') return `'${v}'`;
  if (isStruct(v)) return `{${Object.entries(v).map(([k, x]) => `'${k}': ${pyRepr(x)}`).join(', ')}}`;
  return String(v);
}

/** Koji's `assertPerm`: admin passes every check. */
function assertPerm(ctx: CallContext, perm: string): HubUser {
  // Threat: a signer (or anyone) writing signatures or tags without the right permission.
  if (ctx.user === undefined) throw actionNotAllowed(`${perm} permission required (user not logged in)`);
  if (!ctx.user.perms.has(perm) && !ctx.user.perms.has('admin')) throw actionNotAllowed(`${perm} permission required`);
  return ctx.user;
}

function assertAnyPerm(ctx: CallContext, perms: readonly string[]): void {
  if (ctx.user === undefined) throw actionNotAllowed(`${perms[0]} permission required (user not logged in)`);
  if (!perms.some((p) => ctx.user?.perms.has(p)) && !ctx.user.perms.has('admin')) throw actionNotAllowed(`${perms[0]} permission required`);
}

/** `parse_NVRA`. */
function parseNvra(s: string): { name: string; version: string; release: string; arch: string } | undefined {
  const m = /^(.+)-([^-]+)-([^-]+)\.([^.]+)$/.exec(s.replace(/\.rpm$/, ''));
  if (m === null) return undefined;
  const name = (m[1] as string).replace(/^\d+:/, '');
  return { name, version: m[2] as string, release: m[3] as string, arch: m[4] as string };
}

function findRpm(state: HubState, info: KojiValue): HubRpm | undefined {
  if (typeof info === 'number') return state.rpms.find((r) => r.id === info);
  if (typeof info === 'string') {
    const p = parseNvra(info);
    if (p === undefined) throw genericError(`invalid format: ${info}`);
    return state.rpms.find((r) => r.name === p.name && r.version === p.version && r.release === p.release && r.arch === p.arch);
  }
  if (isStruct(info)) {
    if (typeof info['id'] === 'number') return state.rpms.find((r) => r.id === info['id']);
    return state.rpms.find((r) => r.name === info['name'] && r.version === info['version'] && r.release === info['release'] && r.arch === info['arch']);
  }
  throw pythonError('TypeError', `invalid type for rpminfo: ${typeof info}`);
}

function strictRpm(state: HubState, info: KojiValue): HubRpm {
  const rpm = findRpm(state, info);
  if (rpm === undefined) throw genericError(`No such rpm: ${pyRepr(info)}`);
  return rpm;
}

function findBuild(state: HubState, info: KojiValue): HubBuild | undefined {
  if (typeof info === 'number') return state.builds.find((b) => b.id === info);
  if (typeof info === 'string') {
    const m = /^(.+)-([^-]+)-([^-]+)$/.exec(info);
    if (m === null) throw genericError(`invalid format: ${info}`);
    return state.builds.find((b) => b.name === m[1] && b.version === m[2] && b.release === m[3]);
  }
  if (isStruct(info)) {
    const id = info['id'] ?? info['build_id'];
    if (typeof id === 'number') return state.builds.find((b) => b.id === id);
    return state.builds.find((b) => b.name === info['name'] && b.version === info['version'] && b.release === info['release']);
  }
  throw pythonError('TypeError', `invalid type for buildInfo: ${typeof info}`);
}

function strictBuild(state: HubState, info: KojiValue): HubBuild {
  const b = findBuild(state, info);
  if (b === undefined) throw genericError(`No such build: ${pyRepr(info)}`);
  return b;
}

function strictTag(state: HubState, info: KojiValue): number {
  const id = typeof info === 'number' ? (state.tags.has(info) ? info : undefined) : typeof info === 'string' ? state.tagIdOf(info) : undefined;
  if (id === undefined) throw genericError(`No such tagInfo: ${pyRepr(info)}`);
  return id;
}

export function rpmRow(r: HubRpm): KojiStruct {
  return {
    id: r.id,
    build_id: r.buildId,
    name: r.name,
    version: r.version,
    release: r.release,
    epoch: r.epoch,
    arch: r.arch,
    payloadhash: r.payloadhash,
    size: r.size,
    buildtime: 1_700_000_000,
    buildroot_id: null,
    external_repo_id: 0,
    external_repo_name: 'INTERNAL',
    metadata_only: false,
    extra: null,
    draft: false,
  };
}

export function buildRow(b: HubBuild): KojiStruct {
  return {
    id: b.id,
    build_id: b.id,
    package_id: b.id,
    package_name: b.name,
    name: b.name,
    version: b.version,
    release: b.release,
    epoch: b.epoch,
    nvr: `${b.name}-${b.version}-${b.release}`,
    state: 1,
    owner_id: 1,
    owner_name: 'kojiadmin',
    volume_id: 0,
    volume_name: 'DEFAULT',
    task_id: null,
    creation_time: new Date(1_700_000_000_000),
    creation_ts: 1_700_000_000.0,
    draft: false,
    extra: null,
  };
}

/** Builds in a tag, newest tagging first; `latest`: only the newest per package name. */
function taggedBuilds(state: HubState, tagId: number, latest: boolean, pkg: KojiValue): HubBuild[] {
  const rows = state.taggings.filter((t) => t.tagId === tagId).sort((a, b) => b.seq - a.seq);
  const seen = new Set<string>();
  const out: HubBuild[] = [];
  for (const t of rows) {
    const b = state.builds.find((x) => x.id === t.buildId);
    if (b === undefined || (typeof pkg === 'string' && b.name !== pkg)) continue;
    if (latest && seen.has(b.name)) continue;
    seen.add(b.name);
    out.push(b);
  }
  return out;
}

function archFilter(arch: KojiValue): (a: string) => boolean {
  if (arch === null) return () => true;
  const list = Array.isArray(arch) ? arch : [arch];
  return (a) => list.includes(a);
}

function newSession(ctx: CallContext, user: HubUser, authtype: number): KojiStruct {
  if (ctx.session !== undefined) throw authError('Already logged in');
  const id = ctx.state.nextId();
  const key = `${id}-${randomBytes(16).toString('hex')}`;
  ctx.state.sessions.set(id, { id, key, userId: user.id, authtype, callnum: null, expired: false, closed: false });
  ctx.committed = true;
  return ctx.state.headerAuth ? { 'session-id': id, 'session-key': key, 'header-auth': true } : { 'session-id': id, 'session-key': key };
}

/** Python's lenient b64decode of a str: non-alphabet characters dropped, padding required. */
function b64decodeStr(data: KojiValue): Buffer {
  // Threat (of confusion, in the client): the real hub refuses XML-RPC <base64> here with a TypeError.
  if (typeof data !== 'string') {
    const kind = Buffer.isBuffer(data) ? 'Binary' : data === null ? 'NoneType' : typeof data;
    throw pythonError('TypeError', `argument should be a bytes-like object or ASCII string, not '${kind}'`);
  }
  const clean = data.replace(/[^A-Za-z0-9+/=]/g, '');
  if (clean.length % 4 !== 0) throw pythonError('binascii.Error', 'Incorrect padding');
  return Buffer.from(clean, 'base64');
}

function addRPMSig(ctx: CallContext, a: Record<string, KojiValue>): null {
  assertPerm(ctx, 'sign');
  const { state } = ctx;
  const rpm = strictRpm(state, a['an_rpm'] ?? null);
  const build = strictBuild(state, rpm.buildId);
  const name = nvra(rpm);
  if (!fs.existsSync(state.abs(buildDir(build)))) throw genericError(`No such directory: ${state.abs(buildDir(build))}`);
  const blob = b64decodeStr(a['data'] ?? null);
  const header = parseRawHeader(blob);
  const md5 = header.get(SIGTAG_MD5);
  let sigmd5 = md5 === undefined ? 'None' : md5.toString('hex');
  if (sigmd5 !== rpm.payloadhash) {
    // Koji's fallback: splice the header into the stored rpm and read sigmd5 back from the result.
    const spliced = spliceRpmSighdr(blob, fs.readFileSync(state.abs(rpmPath(build, rpm))));
    const again = parseRawHeader(ripRpmSighdr(spliced)).get(SIGTAG_MD5);
    sigmd5 = again === undefined ? 'None' : again.toString('hex');
    // Threat: a signature header made for another package being attached to this one.
    if (sigmd5 !== rpm.payloadhash) throw genericError(`wrong md5 for ${name}: ${sigmd5}`);
  }
  const sigkey = sigkeyOfHeader(header);
  // UNIQUE(rpm_id, sigkey): the database refuses a second row, even for identical bytes.
  if (state.sigs.some((s) => s.rpmId === rpm.id && s.sigkey === sigkey)) {
    throw genericError(`Signature already exists for package ${name}, key ${sigkey}`);
  }
  state.sigs.push({ rpmId: rpm.id, sigkey, sighash: md5hex(blob) });
  const dest = state.abs(sigcachePath(build, rpm, sigkey));
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  fs.writeFileSync(dest, blob);
  ctx.committed = true;
  return null;
}

function writeSignedRPM(ctx: CallContext, a: Record<string, KojiValue>): null {
  assertPerm(ctx, 'sign');
  const { state } = ctx;
  const rpm = strictRpm(state, a['an_rpm'] ?? null);
  const build = strictBuild(state, rpm.buildId);
  const sigkey = String(a['sigkey']).toLowerCase();
  const name = nvra(rpm);
  const cache = state.abs(sigcachePath(build, rpm, sigkey));
  if (!state.sigs.some((s) => s.rpmId === rpm.id && s.sigkey === sigkey) || !fs.existsSync(cache)) {
    throw genericError(`No cached signature for package ${name}, key ${sigkey}`);
  }
  const dest = state.abs(signedPath(build, rpm, sigkey));
  ctx.committed = true;
  // Koji: an existing signed copy is kept unless force (only its checksums are recorded).
  if (fs.existsSync(dest) && a['force'] !== true) return null;
  const signed = spliceRpmSighdr(fs.readFileSync(cache), fs.readFileSync(state.abs(rpmPath(build, rpm))));
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  fs.writeFileSync(`${dest}.tmp`, signed);
  fs.renameSync(`${dest}.tmp`, dest);
  return null;
}

function tagBuildBypass(ctx: CallContext, a: Record<string, KojiValue>): null {
  assertAnyPerm(ctx, ['tag']);
  const tagId = strictTag(ctx.state, a['tag'] ?? null);
  const build = strictBuild(ctx.state, a['build'] ?? null);
  const already = ctx.state.taggings.some((t) => t.tagId === tagId && t.buildId === build.id);
  if (already && a['force'] !== true) throw genericError(`build ${build.name}-${build.version}-${build.release} already tagged (${ctx.state.tags.get(tagId)})`);
  ctx.state.tag(tagId, build.id);
  ctx.committed = true;
  return null;
}

/**
 * `tagBuild(tag, build, force, fromtag)`: checks now (login, build and tags exist, tag
 * access), then only creates a task a builder runs later (`HubState.runTasks`); returns its
 * id. Tag access is modelled as the policy deployments set (`has_perm tag :: allow`, admin
 * always); Koji's package-list check is not modelled (the test hub has no package lists).
 */
function tagBuild(ctx: CallContext, a: Record<string, KojiValue>): number {
  if (ctx.user === undefined) throw authError('Not logged in');
  const tag = strictTag(ctx.state, a['tag'] ?? null);
  const build = strictBuild(ctx.state, a['build'] ?? null);
  const fromtag = a['fromtag'] === null || a['fromtag'] === undefined || a['fromtag'] === false ? null : strictTag(ctx.state, a['fromtag']);
  assertAnyPerm(ctx, ['tag']);
  const id = ctx.state.nextId();
  ctx.state.tasks.push({ id, method: 'tagBuild', owner: ctx.user.id, tag, build: build.id, fromtag, force: a['force'] === true, state: 'FREE', result: null });
  ctx.committed = true;
  return id;
}

function sessionUser(ctx: CallContext): KojiStruct | null {
  if (ctx.user === undefined) return null;
  return { id: ctx.user.id, name: ctx.user.name, status: 0, usertype: 0, krb_principals: [], authtype: ctx.session?.authtype ?? 0 };
}

export const METHODS: Readonly<Record<string, MethodDef>> = {
  getAPIVersion: { params: [], run: () => 1 },
  getKojiVersion: { params: [], run: () => '1.35.3' },
  hello: { params: [], run: () => 'Hello World' },
  echo: { params: [['value', null]], run: (_c, a) => [a['value'] ?? null] },
  login: {
    params: [['username'], ['password'], ['opts', null]],
    run: (ctx, a) => {
      const user = ctx.state.users.find((u) => u.name === a['username']);
      if (user === undefined || user.password === undefined || typeof a['password'] !== 'string' || a['password'] === '' || user.password !== a['password']) {
        throw authError('invalid username or password');
      }
      return newSession(ctx, user, 0);
    },
  },
  sslLogin: {
    params: [['proxyuser', null], ['proxyauthtype', null], ['renew', false], ['exclusive', null]],
    run: (ctx) => {
      // Threat: a login without a certificate the hub verified (or on the plain endpoint).
      if (ctx.clientCN === undefined) throw authError('could not verify client: no verified client certificate');
      const user = ctx.state.users.find((u) => u.name === ctx.clientCN);
      if (user === undefined) throw authError(`Unknown user: ${ctx.clientCN}`);
      return newSession(ctx, user, 2);
    },
  },
  logout: {
    params: [['session_id', null]],
    run: (ctx) => {
      if (ctx.session === undefined) throw authError('Not logged in');
      ctx.session.closed = true;
      ctx.committed = true;
      return null;
    },
  },
  getLoggedInUser: { params: [], run: (ctx) => sessionUser(ctx) },
  getRPM: {
    params: [['rpminfo'], ['strict', false], ['multi', false]],
    run: (ctx, a) => {
      const rpm = findRpm(ctx.state, a['rpminfo'] ?? null);
      if (rpm === undefined) {
        if (a['strict'] === true) throw genericError(`No such rpm: ${pyRepr(a['rpminfo'] ?? null)}`);
        return a['multi'] === true ? [] : null;
      }
      return a['multi'] === true ? [rpmRow(rpm)] : rpmRow(rpm);
    },
  },
  getTag: {
    params: [['tagInfo'], ['strict', false], ['event', null], ['blocked', false]],
    run: (ctx, a) => {
      const info = a['tagInfo'] ?? null;
      const id = typeof info === 'number' ? (ctx.state.tags.has(info) ? info : undefined) : typeof info === 'string' ? ctx.state.tagIdOf(info) : undefined;
      if (id === undefined) {
        if (a['strict'] === true) throw genericError(`No such tagInfo: ${pyRepr(info)}`);
        return null;
      }
      return { id, name: ctx.state.tags.get(id) ?? '', arches: null, locked: false, perm_id: null, perm: null, maven_support: false, maven_include_all: false, extra: {} };
    },
  },
  getBuild: {
    params: [['buildInfo'], ['strict', false]],
    run: (ctx, a) => {
      const b = findBuild(ctx.state, a['buildInfo'] ?? null);
      if (b === undefined && a['strict'] === true) throw genericError(`No such build: ${pyRepr(a['buildInfo'] ?? null)}`);
      return b === undefined ? null : buildRow(b);
    },
  },
  listRPMs: {
    params: [['buildID', null], ['buildrootID', null], ['imageID', null], ['componentBuildrootID', null], ['hostID', null], ['arches', null], ['queryOpts', null], ['draft', null]],
    run: (ctx, a) => {
      const keep = archFilter(a['arches'] ?? null);
      return ctx.state.rpms.filter((r) => (a['buildID'] === null || r.buildId === a['buildID']) && keep(r.arch)).map(rpmRow);
    },
  },
  queryRPMSigs: {
    params: [['rpm_id', null], ['sigkey', null], ['queryOpts', null]],
    run: (ctx, a) => {
      let rpmId = a['rpm_id'] ?? null;
      if (rpmId !== null && typeof rpmId !== 'number') rpmId = strictRpm(ctx.state, rpmId).id;
      return ctx.state.sigs
        .filter((s) => (rpmId === null || s.rpmId === rpmId) && (a['sigkey'] === null || s.sigkey === a['sigkey']))
        .map((s) => ({ rpm_id: s.rpmId, sigkey: s.sigkey, sighash: s.sighash }));
    },
  },
  listTagged: {
    params: [['tag'], ['event', null], ['inherit', false], ['prefix', null], ['latest', false], ['package', null], ['owner', null], ['type', null], ['strict', true], ['extra', false], ['draft', null]],
    run: (ctx, a) => {
      const tagId = strictTag(ctx.state, a['tag'] ?? null);
      return taggedBuilds(ctx.state, tagId, a['latest'] === true, a['package'] ?? null).map((b) => ({ ...buildRow(b), tag_id: tagId, tag_name: ctx.state.tags.get(tagId) ?? '' }));
    },
  },
  listTaggedRPMS: {
    params: [['tag'], ['event', null], ['inherit', false], ['latest', false], ['package', null], ['arch', null], ['rpmsigs', false], ['owner', null], ['type', null], ['strict', true], ['extra', true], ['draft', null]],
    run: (ctx, a) => {
      const { state } = ctx;
      const tagId = strictTag(state, a['tag'] ?? null);
      const builds = taggedBuilds(state, tagId, a['latest'] === true, a['package'] ?? null);
      const keep = archFilter(a['arch'] ?? null);
      const ids = new Set(builds.map((b) => b.id));
      const rpms = state.rpms.filter((r) => ids.has(r.buildId) && keep(r.arch));
      const rows =
        a['rpmsigs'] === true
          ? rpms.flatMap((r) => state.sigs.filter((s) => s.rpmId === r.id).map((s) => ({ ...rpmRow(r), sigkey: s.sigkey })))
          : rpms.map(rpmRow);
      return [rows, builds.map((b) => ({ ...buildRow(b), tag_id: tagId, tag_name: state.tags.get(tagId) ?? '' }))];
    },
  },
  addRPMSig: { params: [['an_rpm'], ['data']], run: addRPMSig },
  writeSignedRPM: { params: [['an_rpm'], ['sigkey'], ['force', false]], run: writeSignedRPM },
  tagBuildBypass: { params: [['tag'], ['build'], ['force', false], ['notify', false]], run: tagBuildBypass },
  tagBuild: { params: [['tag'], ['build'], ['force', false], ['fromtag', null]], run: tagBuild },
  listTasks: {
    params: [['opts', null], ['queryOpts', null]],
    run: (ctx, a) => {
      const opts = (a['opts'] ?? {}) as Record<string, KojiValue>;
      const states = Array.isArray(opts['state']) ? (opts['state'] as KojiValue[]) : undefined;
      // Koji's TASK_STATES: FREE 0, OPEN 1, CLOSED 2, CANCELED 3, ASSIGNED 4, FAILED 5.
      const code = { FREE: 0, OPEN: 1, CLOSED: 2, FAILED: 5 } as const;
      return ctx.state.tasks
        .filter((t) => (opts['method'] === undefined || opts['method'] === t.method) && (states === undefined || states.includes(code[t.state])))
        .map((t) => {
          const request: KojiValue[] = [t.tag, t.build, t.force, t.fromtag];
          return {
            id: t.id,
            method: t.method,
            state: code[t.state],
            owner: t.owner,
            // decode=True gives the call's parameters; otherwise Koji returns the raw XML-RPC text.
            request: opts['decode'] === true ? request : '<?xml version="1.0"?><params>…</params>',
            result: t.result,
          };
        });
    },
  },
  moveBuild: { params: [['tag1'], ['tag2'], ['build'], ['force', false]], run: (ctx, a) => tagBuild(ctx, { tag: a['tag2'] ?? null, build: a['build'] ?? null, force: a['force'] ?? false, fromtag: a['tag1'] ?? null }) },
};

export { HubFault };
