import { readFileSync, statSync } from 'node:fs';
import { expect } from 'vitest';
import { readPackageHead } from '@signet/rpm';

/**
 * Asserts what signing may change: only the signature region [96, M). Everything before
 * and after is byte-identical (the main header and payload move as a block when the
 * reserve did not suffice), and the size is kept when it did.
 */
export async function expectOnlySignatureChanged(input: string, output: string, opts: { sameSize?: boolean } = {}): Promise<void> {
  const a = readFileSync(input);
  const b = readFileSync(output);
  const { layout: la } = await readPackageHead(input);
  const { layout: lb } = await readPackageHead(output);
  expect(b.subarray(0, 96).equals(a.subarray(0, 96))).toBe(true);
  expect(b.subarray(lb.mainStart).equals(a.subarray(la.mainStart))).toBe(true);
  if (opts.sameSize) {
    expect(statSync(output).size).toBe(statSync(input).size);
    expect(lb.mainStart).toBe(la.mainStart);
  }
}
