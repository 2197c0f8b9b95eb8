import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';

/** Why a bounded read refused a file; callers map it to their own coded error. */
export class BoundedReadError extends Error {
  readonly reason: 'not-regular' | 'too-large' | 'changed';
  /** The size the open descriptor reported. */
  readonly size: number;

  constructor(reason: BoundedReadError['reason'], message: string, size: number) {
    super(message);
    this.reason = reason;
    this.size = size;
  }
}

/**
 * Reads a whole regular file of at most `max` bytes, checked before reading: the size
 * comes from the open descriptor (no race with a rename), devices and FIFOs are refused
 * (they report size 0; the open does not wait for a FIFO's writer), and one byte more than
 * announced is asked for, so a file that grows or shrinks under us (or a /proc file, which
 * reports size 0) is noticed, not cut short. Throws BoundedReadError saying why; ENOENT and
 * other open errors are thrown as they come.
 */
export function readFileBounded(file: string, max: number): { data: Buffer; stat: Stats } {
  const fd = openSync(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new BoundedReadError('not-regular', 'not a regular file', stat.size);
    if (stat.size > max) throw new BoundedReadError('too-large', `larger than ${max} bytes`, stat.size);
    const buf = Buffer.alloc(stat.size + 1);
    let got = 0;
    for (let n = 1; n > 0 && got < buf.length; got += n) n = readSync(fd, buf, got, buf.length - got, got);
    if (got !== stat.size) throw new BoundedReadError('changed', 'changed while being read', stat.size);
    return { data: buf.subarray(0, got), stat };
  } finally {
    closeSync(fd);
  }
}
