/** A mistake in how the command was called: printed with a hint to `--help`, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** `flag '--x' expects <expected>, got <got>`: the one shape of every flag error. */
export function badFlag(flag: string, expected: string, got: string): UsageError {
  return new UsageError(`flag '${flag}' expects ${expected}, got ${got}`);
}

export const EXIT_OK = 0;
/** A check failed, or the work itself threw. */
export const EXIT_FAILURE = 1;
/** Bad command line. */
export const EXIT_USAGE = 2;
