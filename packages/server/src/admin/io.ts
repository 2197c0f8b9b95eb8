/** The process streams the admin CLI uses, injected so tests run it as a function. */
export interface AdminInput {
  readonly isTTY?: boolean;
  setRawMode?(mode: boolean): unknown;
  on(event: 'data', listener: (chunk: Buffer | string) => void): unknown;
  removeListener(event: 'data', listener: (chunk: Buffer | string) => void): unknown;
  resume(): unknown;
  pause(): unknown;
}

export interface AdminOutput {
  write(chunk: string): unknown;
}

export interface AdminIO {
  readonly stdin: AdminInput;
  readonly stdout: AdminOutput;
  readonly stderr: AdminOutput;
  readonly env: Readonly<Record<string, string | undefined>>;
}
