import { type ChildProcess } from 'node:child_process';
/** Repository root, from this file's place in scripts/lib. */
export declare const ROOT: string;
/** Entry points of the four programs, run with this very Node (24). */
export declare const BIN: {
    readonly pki: string;
    readonly bridge: string;
    readonly server: string;
    readonly client: string;
};
export interface RunResult {
    code: number;
    stdout: string;
    stderr: string;
}
/** Runs a program to completion, capturing its output. Never throws on a non-zero exit. */
export declare function run(file: string, args: string[], opts?: {
    env?: NodeJS.ProcessEnv;
    timeoutMs?: number;
    input?: string;
}): Promise<RunResult>;
/** Runs one of our programs with this Node. */
export declare function runNode(entry: string, args: string[], opts?: Parameters<typeof run>[2]): Promise<RunResult>;
export interface Daemon {
    child: ChildProcess;
    /** Every log line (stdout and stderr) so far. */
    lines: string[];
    /** Resolves with the first parsed JSON log line that satisfies `pred`. */
    waitFor(pred: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
    /** SIGTERM, then SIGKILL after a grace period; resolves when the process is gone. */
    stop(): Promise<void>;
}
/** Starts a long-running program and follows its JSON log lines. */
export declare function startDaemon(entry: string, args: string[], env?: NodeJS.ProcessEnv): Daemon;
