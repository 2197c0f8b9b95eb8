import { parseHeader, packageInfo, REGION_TAG, RpmError } from '@signet/rpm';
import { AUDIT_SUBJECT_PATTERN } from './keystore/audit.ts';
import { ServerError } from './errors.ts';

/**
 * Parses the bytes a client asked to sign as an RPM main header (bounded, every index
 * entry checked) and names the package for the audit log: N-E:V-R.A. Anything that is
 * not a well-formed main header is refused, so sign-rpm-header signs only headers.
 */
export function describeRpmHeader(bytes: Buffer, maxBytes: number): string {
  let nevra: string;
  try {
    const header = parseHeader(bytes, REGION_TAG.IMMUTABLE, { maxTags: 65_535, maxDataBytes: maxBytes });
    if (header.bytes.length !== bytes.length) throw new RpmError('RPM_BAD_ENTRY', 'trailing bytes after the header');
    nevra = packageInfo(header).nevra;
  } catch (err) {
    const why = err instanceof RpmError ? `${err.code}: ${err.message}` : 'unparseable';
    throw new ServerError('NOT_AN_RPM_HEADER', `the data is not an RPM main header (${why})`, { cause: err });
  }
  // Threat: a client-chosen name the audit log refuses (too long, control or non-ASCII
  // bytes): a signature would be made that cannot be recorded. Refused here, before
  // anything is signed; the name is not echoed.
  if (!AUDIT_SUBJECT_PATTERN.test(nevra)) {
    throw new ServerError(
      'NOT_AN_RPM_HEADER',
      `the package name N-E:V-R.A (${nevra.length} characters) is not 1-512 printable ASCII characters, so it cannot be audited and is not signed`,
    );
  }
  return nevra;
}
