/**
 * Flag parsing on node:util parseArgs (no framework). parseArgs runs non-strict and we
 * judge its tokens ourselves, so every mistake is reported as: which flag, what it
 * expects, what came (see errors.ts), with exit code 2.
 */
import { parseArgs } from 'node:util';
import { badFlag, UsageError } from './errors';

export interface FlagSpec {
  readonly type: 'string' | 'boolean';
  /** May be given more than once (values collected in order). */
  readonly multiple?: boolean;
  /** Placeholder for the value in --help, e.g. 'b,d,l,n'. */
  readonly value?: string;
  readonly description: string;
  readonly short?: string;
}

export type FlagSpecs = Readonly<Record<string, FlagSpec>>;

export type FlagValues<S extends FlagSpecs> = {
  -readonly [K in keyof S]: S[K]['type'] extends 'boolean'
    ? boolean
    : S[K]['multiple'] extends true
      ? string[]
      : string | undefined;
};

export const HELP_FLAG: FlagSpec = { type: 'boolean', short: 'h', description: 'Show this help.' };

export function flagName(name: string): string {
  return name.length === 1 ? `-${name}` : `--${name}`;
}

/** Parse argv against `specs` (plus --help). Throws UsageError naming the flag at fault. */
export function parseFlags<S extends FlagSpecs>(
  specs: S,
  argv: readonly string[],
): { values: FlagValues<S> & { help: boolean }; positionals: string[] } {
  const all: Record<string, FlagSpec> = { ...specs, help: HELP_FLAG };
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {};
  for (const [name, spec] of Object.entries(all)) {
    options[name] = {
      type: spec.type,
      multiple: spec.multiple ?? false,
      ...(spec.short ? { short: spec.short } : {}),
    };
  }
  const { tokens } = parseArgs({
    args: [...argv],
    options,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const values: Record<string, string | string[] | boolean | undefined> = {};
  for (const [name, spec] of Object.entries(all)) {
    values[name] = spec.type === 'boolean' ? false : spec.multiple ? [] : undefined;
  }
  const positionals: string[] = [];
  const known = Object.keys(all).map(flagName).join(', ');
  for (const token of tokens ?? []) {
    if (token.kind === 'positional') {
      positionals.push(token.value);
      continue;
    }
    if (token.kind === 'option-terminator') continue;
    const spec = all[token.name];
    if (!spec) throw new UsageError(`unknown flag '${token.rawName}': expected one of ${known}`);
    if (spec.type === 'boolean') {
      if (token.value !== undefined) {
        throw badFlag(token.rawName, 'no value (it is a switch)', `'${token.rawName}=${token.value}'`);
      }
      values[token.name] = true;
      continue;
    }
    const placeholder = spec.value ?? 'a value';
    if (token.value === undefined)
      throw badFlag(token.rawName, `a value (${token.rawName} ${placeholder})`, 'nothing');
    if (!token.inlineValue && token.value.startsWith('--')) {
      throw badFlag(token.rawName, `a value (${token.rawName} ${placeholder})`, `the flag '${token.value}'`);
    }
    if (spec.multiple) (values[token.name] as string[]).push(token.value);
    else values[token.name] = token.value;
  }
  return { values: values as FlagValues<S> & { help: boolean }, positionals };
}

/** No positional arguments allowed (every command so far takes flags only). */
export function rejectPositionals(command: string, positionals: readonly string[]): void {
  if (positionals.length > 0) {
    throw new UsageError(`'sscan ${command}' takes no positional arguments, got '${positionals.join(' ')}'`);
  }
}

export function parseIntFlag(flag: string, value: string, min: number): number {
  const n = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min) throw badFlag(flag, `an integer ≥ ${min}`, `'${value}'`);
  return n;
}

export function parseChoiceFlag<T extends string>(flag: string, value: string, choices: readonly T[]): T {
  if (!(choices as readonly string[]).includes(value)) {
    throw badFlag(flag, `one of ${choices.join(', ')}`, `'${value}'`);
  }
  return value as T;
}

/** A comma-separated list, each item one of `choices` (e.g. --dtype float32,bfloat16). */
export function parseChoiceListFlag<T extends string>(
  flag: string,
  value: string,
  choices: readonly T[],
): T[] {
  const items = value.split(',').map((s) => s.trim());
  if (items.some((s) => s === ''))
    throw badFlag(flag, `a comma-separated list of ${choices.join(', ')}`, `'${value}'`);
  return items.map((item) => parseChoiceFlag(flag, item, choices));
}
