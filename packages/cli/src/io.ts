/**
 * Where a command writes. Commands never touch process.stdout directly, so tests run them
 * in-process and read what they printed.
 */
export interface Io {
  /** Results: tables, records. One call per line. */
  out(line: string): void;
  /** Diagnostics and errors. One call per line. */
  err(line: string): void;
  /** Raw writes for the progress line (no newline added). */
  progressWrite(text: string): void;
  /** True when the progress stream is an interactive terminal. */
  readonly progressIsTTY: boolean;
  /** Terminal width for the progress line. */
  readonly columns: number;
}

export function processIo(): Io {
  return {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    progressWrite: (text) => process.stderr.write(text),
    // Progress goes to stderr so `sscan bench > file` keeps stdout clean.
    progressIsTTY: process.stderr.isTTY === true,
    // A pseudo-terminal may report 0 columns: treat that as unknown.
    columns: process.stderr.columns || 80,
  };
}

/** An Io that records everything, for tests. */
export interface CapturedIo extends Io {
  readonly stdout: string[];
  readonly stderr: string[];
  readonly progress: string[];
  text(): string;
}

export function captureIo(options: { tty?: boolean } = {}): CapturedIo {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const progress: string[] = [];
  return {
    stdout,
    stderr,
    progress,
    out: (line) => stdout.push(line),
    err: (line) => stderr.push(line),
    progressWrite: (text) => progress.push(text),
    progressIsTTY: options.tty ?? false,
    columns: 100,
    text: () => [...stdout, ...stderr].join('\n'),
  };
}
