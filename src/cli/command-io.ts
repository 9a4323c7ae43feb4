// Where a command writes and what time it is: the process by default, a capture in tests (`fn(options, io)`).
export interface CommandIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly now: () => number;
}

export const processIo: CommandIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  now: Date.now,
};

/** For commander actions: keeps a command's non-zero exit code for the process. */
export function exitWith(code: number): void {
  if (code !== 0) process.exitCode = code;
}
