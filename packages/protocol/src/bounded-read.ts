import { closeSync, fstatSync, openSync, readSync, type Stats } from 'node:fs';

/**
 * Reads a whole regular file of at most `max` bytes, checked before reading: the size
 * comes from the open descriptor (no race with a rename), devices and FIFOs are refused
 * (they report size 0), and one byte more than announced is asked for, so a file growing
 * under us is noticed, not cut short. Throws a plain Error saying why; callers wrap it in
 * their own coded error. ENOENT and other open errors are thrown as they come.
 */
export function readFileBounded(file: string, max: number): { data: Buffer; stat: Stats } {
  const fd = openSync(file, 'r');
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new Error('not a regular file');
    if (stat.size > max) throw new Error(`larger than ${max} bytes`);
    const buf = Buffer.alloc(stat.size + 1);
    let got = 0;
    for (let n = 1; n > 0 && got < buf.length; got += n) n = readSync(fd, buf, got, buf.length - got, got);
    if (got !== stat.size) throw new Error('changed while being read');
    return { data: buf.subarray(0, got), stat };
  } finally {
    closeSync(fd);
  }
}
