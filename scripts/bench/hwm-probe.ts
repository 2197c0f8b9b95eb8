/**
 * Loaded with `node --import` into a client process the benchmark measures: at exit it
 * appends "pid peak-RSS-kB cpu-µs" to the file named by $SIGNET_BENCH_HWM_FILE — the peak
 * resident set (VmHWM from /proc/self/status) and the CPU time of every thread of the
 * process (user + system). Read inside the process, so the true peak is never missed.
 */
import { appendFileSync, readFileSync } from 'node:fs';

const out = process.env['SIGNET_BENCH_HWM_FILE'];
if (out !== undefined && out !== '') {
  process.on('exit', () => {
    const status = readFileSync('/proc/self/status', 'utf8');
    const kb = /^VmHWM:\s+(\d+) kB/m.exec(status)?.[1];
    const cpu = process.cpuUsage();
    if (kb !== undefined) appendFileSync(out, `${process.pid} ${kb} ${cpu.user + cpu.system}\n`);
  });
}
