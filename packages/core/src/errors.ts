/**
 * Argument errors share one shape: which function, which argument, what was expected,
 * and what came. Every public function validates through these before any work runs.
 */

export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return `array [${value.slice(0, 8).join(', ')}${value.length > 8 ? ', …' : ''}]`;
  if (typeof value === 'string') return `string '${value}'`;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return `${typeof value} ${String(value)}`;
  if (typeof value === 'function') return 'function';
  const ctor = (value as object).constructor?.name;
  const described = (value as { describe?: () => string }).describe;
  if (typeof described === 'function') return described.call(value);
  return ctor ? `${ctor} object` : 'object';
}

/** `fn: argument 'arg' must be <expected>, got <what>` as a TypeError. */
export function invalidType(fn: string, arg: string, expected: string, got: unknown): TypeError {
  return new TypeError(`${fn}: argument '${arg}' must be ${expected}, got ${describeValue(got)}`);
}

/** Same as invalidType, for values of the right type but outside what is allowed. */
export function invalidValue(fn: string, arg: string, expected: string, got: string): RangeError {
  return new RangeError(`${fn}: argument '${arg}' must be ${expected}, got ${got}`);
}

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

export function isPositiveInteger(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v > 0;
}

export function isNonNegativeInteger(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}
