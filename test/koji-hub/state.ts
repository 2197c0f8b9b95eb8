import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { getString, packageInfo, parsePackageHead, TAG } from '@signet/rpm';
import { parseRawHeader, ripRpmSighdr, SIGTAG_MD5 } from './rawheader.ts';
import { buildDir, rpmPath, sigcachePath } from './paths.ts';

/** The test hub's in-memory database and its file tree under `topdir`. */

export interface HubUser {
  readonly id: number;
  readonly name: string;
  readonly password: string | undefined;
  readonly perms: Set<string>;
}

export interface HubSession {
  readonly id: number;
  readonly key: string;
  readonly userId: number;
  readonly authtype: number;
  /** Last committed call number (Koji stores it only when the call committed). */
  callnum: number | null;
  expired: boolean;
  closed: boolean;
}

export interface HubBuild {
  readonly id: number;
  readonly name: string;
  readonly version: string;
  readonly release: string;
  readonly epoch: number | null;
}

export interface HubRpm {
  readonly id: number;
  readonly buildId: number;
  readonly name: string;
  readonly version: string;
  readonly release: string;
  readonly epoch: number | null;
  readonly arch: string;
  /** sigmd5 (signature tag 1004) as hex: what Koji calls `payloadhash`. */
  readonly payloadhash: string;
  readonly size: number;
}

export interface HubSig {
  readonly rpmId: number;
  readonly sigkey: string;
  readonly sighash: string;
}

export interface HubTagging {
  readonly tagId: number;
  readonly buildId: number;
  /** Tagging order: later is newer (`latest` picks the newest per package). */
  readonly seq: number;
}

export interface HubTask {
  readonly id: number;
  readonly method: 'tagBuild';
  readonly owner: number;
  readonly tag: number;
  readonly build: number;
  /** Set for a move (`tagBuild(..., fromtag)` / `moveBuild`): untag from here in the same step. */
  readonly fromtag: number | null;
  readonly force: boolean;
  /** FREE until a builder runs it (`runTasks`), then CLOSED or FAILED. */
  state: 'FREE' | 'CLOSED' | 'FAILED';
  result: string | null;
}

export function md5hex(b: Buffer): string {
  return createHash('md5').update(b).digest('hex');
}

export class HubState {
  readonly topdir: string;
  readonly users: HubUser[] = [];
  readonly sessions = new Map<number, HubSession>();
  readonly builds: HubBuild[] = [];
  readonly rpms: HubRpm[] = [];
  readonly sigs: HubSig[] = [];
  readonly tags = new Map<number, string>();
  readonly taggings: HubTagging[] = [];
  readonly tasks: HubTask[] = [];
  /**
   * Whether logins say `header-auth` (Koji ≥ 1.30: session data in Koji-Session-* headers);
   * false answers like older hubs, whose clients put session-id and session-key in the URL.
   */
  headerAuth = true;
  private seq = 0;

  constructor(topdir: string) {
    this.topdir = topdir;
  }

  nextId(): number {
    return ++this.seq;
  }

  addUser(name: string, opts: { password?: string; perms?: readonly string[] } = {}): HubUser {
    const user: HubUser = { id: this.nextId(), name, password: opts.password, perms: new Set(opts.perms ?? []) };
    this.users.push(user);
    return user;
  }

  addTag(name: string): number {
    const id = this.nextId();
    this.tags.set(id, name);
    return id;
  }

  tagIdOf(name: string): number | undefined {
    for (const [id, n] of this.tags) if (n === name) return id;
    return undefined;
  }

  tag(tagId: number, buildId: number): void {
    this.taggings.push({ tagId, buildId, seq: this.nextId() });
  }

  untag(tagId: number, buildId: number): boolean {
    const i = this.taggings.findIndex((t) => t.tagId === tagId && t.buildId === buildId);
    if (i < 0) return false;
    this.taggings.splice(i, 1);
    return true;
  }

  /**
   * The builder's side of `tagBuild` tasks (kojid's TagBuildTask → host.tagBuild): a move
   * untags from `fromtag` (the build must be there) and tags into `tag` (it must not be
   * there yet unless forced), in one step. A real hub runs these only when a builder daemon
   * picks them up; tests call this where a builder would have run. Returns the tasks run.
   */
  runTasks(): HubTask[] {
    const ran: HubTask[] = [];
    for (const t of this.tasks) {
      if (t.state !== 'FREE') continue;
      const nvr = (() => {
        const b = this.builds.find((x) => x.id === t.build);
        return b === undefined ? String(t.build) : `${b.name}-${b.version}-${b.release}`;
      })();
      if (t.fromtag !== null && !this.taggings.some((x) => x.tagId === t.fromtag && x.buildId === t.build)) {
        t.state = 'FAILED';
        t.result = `TagError: build ${nvr} not in tag ${this.tags.get(t.fromtag) ?? t.fromtag}`;
      } else if (!t.force && this.taggings.some((x) => x.tagId === t.tag && x.buildId === t.build)) {
        t.state = 'FAILED';
        t.result = `TagError: build ${nvr} already tagged (${this.tags.get(t.tag) ?? t.tag})`;
      } else {
        if (t.fromtag !== null) this.untag(t.fromtag, t.build);
        this.tag(t.tag, t.build);
        t.state = 'CLOSED';
      }
      ran.push(t);
    }
    return ran;
  }

  /** Marks every session expired (as SessionRenewalTimeout would). */
  expireSessions(): void {
    for (const s of this.sessions.values()) s.expired = true;
  }

  abs(rel: string): string {
    return path.join(this.topdir, ...rel.split('/'));
  }

  /**
   * Imports one build from rpm files (binary and optionally source), as a completed
   * build: copies each to `<build dir>/<arch>/<nvra>.rpm`, records `payloadhash` = sigmd5,
   * the `''` (unsigned) sig row and its sigcache file, and tags it when `tag` is given.
   */
  importBuild(files: readonly string[], opts: { tag?: string } = {}): HubBuild {
    const parsed = files.map((file) => {
      const bytes = fs.readFileSync(file);
      const layout = parsePackageHead(bytes);
      const info = packageInfo(layout.mainHeader);
      const sighdr = ripRpmSighdr(bytes);
      const md5 = parseRawHeader(sighdr).get(SIGTAG_MD5);
      if (md5 === undefined) throw new Error(`${file} has no MD5 signature tag (1004); Koji cannot import it`);
      const sourcerpm = getString(layout.mainHeader, TAG.SOURCERPM);
      return { bytes, info, sighdr, sigmd5: md5.toString('hex'), sourcerpm };
    });
    const first = parsed[0];
    if (first === undefined) throw new Error('importBuild needs at least one rpm');
    const src = parsed.find((p) => p.info.isSource);
    let names: { name: string; version: string; release: string };
    if (src !== undefined) names = src.info;
    else {
      const m = /^(.+)-([^-]+)-([^-]+)\.(no)?src\.rpm$/.exec(first.sourcerpm ?? '');
      names = m === null ? first.info : { name: m[1] as string, version: m[2] as string, release: m[3] as string };
    }
    const build: HubBuild = { id: this.nextId(), name: names.name, version: names.version, release: names.release, epoch: first.info.epoch ?? null };
    this.builds.push(build);
    fs.mkdirSync(this.abs(buildDir(build)), { recursive: true });
    for (const p of parsed) {
      const rpm: HubRpm = {
        id: this.nextId(),
        buildId: build.id,
        name: p.info.name,
        version: p.info.version,
        release: p.info.release,
        epoch: p.info.epoch ?? null,
        arch: p.info.isSource ? 'src' : p.info.arch,
        payloadhash: p.sigmd5,
        size: p.bytes.length,
      };
      this.rpms.push(rpm);
      const dest = this.abs(rpmPath(build, rpm));
      fs.mkdirSync(path.dirname(dest), { recursive: true });
      fs.writeFileSync(dest, p.bytes);
      this.sigs.push({ rpmId: rpm.id, sigkey: '', sighash: md5hex(p.sighdr) });
      const cache = this.abs(sigcachePath(build, rpm, ''));
      fs.mkdirSync(path.dirname(cache), { recursive: true });
      fs.writeFileSync(cache, p.sighdr);
    }
    if (opts.tag !== undefined) this.tag(this.tagIdOf(opts.tag) ?? this.addTag(opts.tag), build.id);
    return build;
  }
}
