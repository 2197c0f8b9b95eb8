/** The benchmark's human-readable table: each figure, its target and whether it is met. */

export interface ReportView {
  quick: boolean;
  machine: { cpus: number; cpu: string; node: string };
  native_rsa4096_per_s: number;
  native_rsa4096_one_thread_per_s: number;
  native_eddsa_per_s: number;
  e2e_packages: number;
  e2e_rsa4096_per_s: number;
  e2e_rsa4096_jobs: number;
  e2e_rsa4096_steady_per_s: number;
  e2e_rsa4096_vs_native: number;
  e2e_eddsa_per_s: number;
  e2e_eddsa_jobs: number;
  e2e_eddsa_steady_per_s: number;
  e2e_rsa4096_cpu_ms_per_package: { client: number; server: number; bridge: number };
  e2e_eddsa_cpu_ms_per_package: { client: number; server: number; bridge: number };
  rpmsign_rsa4096_per_s: number | null;
  p50_ms: number;
  p99_ms: number;
  request_p50_ms: number;
  big_rpm_bytes: number;
  big_rpm_seconds: number;
  big_rpm_client_rss_mb: number;
  big_rpm_digest_check_seconds: number;
  small_rpm_seconds: number;
  big_rpm_no_verify_seconds: number;
  small_rpm_no_verify_seconds: number;
  e2e_rsa4096_signing_side_per_s: number;
  e2e_rsa4096_signing_side_vs_native: number;
  e2e_eddsa_signing_side_per_s: number;
  e2e_rsa4096_warm_per_s: number;
  e2e_rsa4096_warm_vs_native: number;
  e2e_rsa4096_warm_signing_side_per_s: number;
  e2e_rsa4096_warm_signing_side_vs_native: number;
  e2e_eddsa_warm_signing_side_per_s: number;
  e2e_eddsa_warm_per_s: number;
  tag_per_s: number | null;
  tag_packages?: number;
  tag_vs_e2e_rsa4096?: number;
  targets: Record<string, boolean | null>;
  bench_seconds: number;
  notes: string[];
}

const verdict = (v: boolean | null | undefined): string => (v === true ? 'met' : v === false ? 'MISSED' : 'n/a');

const cpu = (c: { client: number; server: number; bridge: number }): string => `${c.client} | ${c.server} | ${c.bridge}`;

export function renderTable(r: ReportView): string {
  const t = r.targets;
  const rpmsignRatio = r.rpmsign_rsa4096_per_s === null ? 'n/a' : `${(r.e2e_rsa4096_per_s / r.rpmsign_rsa4096_per_s).toFixed(1)}x`;
  const rows: [string, string, string, string][] = [
    ['native RSA-4096 (both cores)', `${r.native_rsa4096_per_s}/s`, 'the floor', ''],
    ['native RSA-4096 (one thread)', `${r.native_rsa4096_one_thread_per_s}/s`, '', ''],
    ['native Ed25519 (both cores)', `${r.native_eddsa_per_s}/s`, '', ''],
    [`e2e RSA-4096 (${r.e2e_packages} pkgs, --jobs ${r.e2e_rsa4096_jobs})`, `${r.e2e_rsa4096_per_s}/s`, '>= 0.85 x native', `${verdict(t['e2e_vs_native_ge_0_85'])} (${r.e2e_rsa4096_vs_native.toFixed(2)}x)`],
    ['  steady state (first to last result)', `${r.e2e_rsa4096_steady_per_s}/s`, '', ''],
    ['  CPU ms/package client|server|bridge', cpu(r.e2e_rsa4096_cpu_ms_per_package), '', ''],
    ['  signing side alone (server+bridge CPU)', `${r.e2e_rsa4096_signing_side_per_s}/s`, '(client on its own host)', `${r.e2e_rsa4096_signing_side_vs_native.toFixed(2)}x native`],
    ['  warm session (key already unlocked)', `${r.e2e_rsa4096_warm_per_s}/s`, '(long-running client)', `${r.e2e_rsa4096_warm_vs_native.toFixed(2)}x native`],
    ['    its signing side alone', `${r.e2e_rsa4096_warm_signing_side_per_s}/s`, '(client on its own host)', `${r.e2e_rsa4096_warm_signing_side_vs_native.toFixed(2)}x native`],
    [`e2e Ed25519 (--jobs ${r.e2e_eddsa_jobs})`, `${r.e2e_eddsa_per_s}/s`, '>= 1500/s', verdict(t['e2e_eddsa_ge_1500'])],
    ['  steady state (first to last result)', `${r.e2e_eddsa_steady_per_s}/s`, '', ''],
    ['  CPU ms/package client|server|bridge', cpu(r.e2e_eddsa_cpu_ms_per_package), '', ''],
    ['  signing side alone (server+bridge CPU)', `${r.e2e_eddsa_signing_side_per_s}/s`, '(client on its own host)', ''],
    ['  warm session (key already unlocked)', `${r.e2e_eddsa_warm_per_s}/s`, '(long-running client)', r.e2e_eddsa_warm_per_s >= 1500 ? '>= 1500/s' : '< 1500/s'],
    ['    its signing side alone', `${r.e2e_eddsa_warm_signing_side_per_s}/s`, '(client on its own host)', r.e2e_eddsa_warm_signing_side_per_s >= 1500 ? '>= 1500/s' : '< 1500/s'],
    ['rpmsign + gpg RSA-4096', r.rpmsign_rsa4096_per_s === null ? 'null' : `${r.rpmsign_rsa4096_per_s}/s`, 'e2e >= 10 x this', `${verdict(t['e2e_vs_rpmsign_ge_10x'])} (${rpmsignRatio})`],
    ['sign-rpm latency p50 (warm session)', `${r.p50_ms} ms`, '< 15 ms', verdict(t['p50_lt_15ms'])],
    ['sign-rpm latency p99 (warm session)', `${r.p99_ms} ms`, '< 50 ms', verdict(t['p99_lt_50ms'])],
    ['  bare sign-rpm-header request p50', `${r.request_p50_ms} ms`, '', ''],
    [`big package ${(r.big_rpm_bytes / 1024 ** 3).toFixed(2)} GiB in place, --no-verify-payload`, `${r.big_rpm_no_verify_seconds} s`, '<= 2 x small', `${verdict(t['big_rpm_le_2x_small_without_payload_verification'])} (${(r.big_rpm_no_verify_seconds / r.small_rpm_no_verify_seconds).toFixed(1)}x)`],
    ['  20 KB package in place, --no-verify-payload', `${r.small_rpm_no_verify_seconds} s`, '', ''],
    ['  big package with payload verification', `${r.big_rpm_seconds} s`, '', `${(r.big_rpm_seconds / r.small_rpm_seconds).toFixed(1)}x of small (${r.small_rpm_seconds} s)`],
    ['  of which payload digest check', `${r.big_rpm_digest_check_seconds} s`, '', ''],
    ['big package client peak RSS', `${r.big_rpm_client_rss_mb} MB`, '< 200 MB', verdict(t['big_rpm_client_rss_lt_200mb'])],
    [`sign-tag (Koji, ${r.tag_packages ?? '?'} rpms, RSA-4096)`, r.tag_per_s === null ? 'null' : `${r.tag_per_s}/s`, 'measured (no target)', r.tag_per_s === null ? 'not measured' : `${r.tag_vs_e2e_rsa4096 ?? '?'}x of e2e RSA`],
  ];
  const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((row) => row[i]?.length ?? 0), ['measure', 'value', 'target', 'verdict'][i]?.length ?? 0));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  const out = [
    `Signet benchmark${r.quick ? ' (QUICK run: smoke test, not figures of record)' : ''}: ${r.machine.cpus} x ${r.machine.cpu}, Node ${r.machine.node}, ${r.bench_seconds} s`,
    '',
    line(['measure', 'value', 'target', 'verdict']),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
    '',
    ...r.notes.map((n) => `- ${n}`),
    '',
  ];
  return out.join('\n');
}
