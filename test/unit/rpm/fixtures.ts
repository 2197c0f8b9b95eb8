import { createHash } from 'node:crypto';
import { buildHeader, buildLead, buildPackage, e } from './builder.ts';
import type { LeadOptions, RawEntry } from './builder.ts';

/** A small but complete synthetic package, digests and all, built with the test builder. */
export interface FixtureOptions {
  name?: string;
  epoch?: number;
  source?: boolean;
  payloadDigest?: boolean;
  /** RESERVEDSPACE bytes; 0 = no 1008 tag. Default 4128. */
  reserve?: number;
  payload?: Buffer;
  lead?: LeadOptions;
  mainExtra?: RawEntry[];
  sigExtra?: RawEntry[];
}

export interface Fixture {
  file: Buffer;
  sig: Buffer;
  main: Buffer;
  payload: Buffer;
}

export function makeMain(o: FixtureOptions, payload: Buffer): Buffer {
  const entries: RawEntry[] = [
    e.strings(100, 'C'),
    e.string(1000, o.name ?? 'demo'),
    e.string(1001, '1.2'),
    e.string(1002, '3.el9'),
  ];
  if (o.epoch !== undefined) entries.push(e.int32(1003, o.epoch));
  entries.push(e.string(1022, 'x86_64'));
  if (!o.source) entries.push(e.string(1044, 'demo-1.2-3.el9.src.rpm'));
  if (o.payloadDigest !== false) {
    entries.push(e.strings(5092, createHash('sha256').update(payload).digest('hex')), e.int32(5093, 8));
  }
  entries.push(...(o.mainExtra ?? []));
  return buildHeader(63, entries);
}

export function makeSig(main: Buffer, payload: Buffer, o: FixtureOptions = {}): Buffer {
  const reserve = o.reserve ?? 4128;
  const entries: RawEntry[] = [
    e.string(269, createHash('sha1').update(main).digest('hex')),
    e.string(273, createHash('sha256').update(main).digest('hex')),
    e.int32(1000, main.length + payload.length),
    e.bin(1004, createHash('md5').update(main).update(payload).digest()),
    e.int32(1007, payload.length * 3),
    ...(o.sigExtra ?? []),
  ];
  if (reserve > 0) entries.push(e.bin(1008, Buffer.alloc(reserve)));
  return buildHeader(62, entries.sort((a, b) => a.tag - b.tag));
}

export function makePackage(o: FixtureOptions = {}): Fixture {
  const payload = o.payload ?? Buffer.from('payload bytes: pretend this is a compressed cpio archive\n'.repeat(20));
  const main = makeMain(o, payload);
  const sig = makeSig(main, payload, o);
  return { file: buildPackage({ lead: buildLead(o.lead ?? {}), sig, main, payload }), sig, main, payload };
}
