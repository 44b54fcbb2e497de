/**
 * What a command is: its name, its flags (which also make its --help), and what it does.
 * A command lives in its own file under commands/ and joins the table in commands/index.ts.
 */
import { type FlagSpecs, type FlagValues, flagName, HELP_FLAG, parseFlags, rejectPositionals } from './args';
import { EXIT_OK } from './errors';
import type { Io } from './io';

export interface CommandSpec<S extends FlagSpecs> {
  readonly name: string;
  /** One line for `sscan --help`. */
  readonly summary: string;
  /** Paragraphs for `sscan <name> --help`. */
  readonly description: string;
  readonly flags: S;
  readonly examples?: readonly string[];
  /** Exit code: 0 ok, 1 failure (a check failed, the work threw), 2 bad usage. */
  run(flags: FlagValues<S>, io: Io): Promise<number>;
}

/** A command with its flag types erased, as the command table holds it. */
export interface Command {
  readonly name: string;
  readonly summary: string;
  help(): string;
  execute(argv: readonly string[], io: Io): Promise<number>;
}

export function defineCommand<S extends FlagSpecs>(spec: CommandSpec<S>): Command {
  const help = () => formatHelp(spec);
  return {
    name: spec.name,
    summary: spec.summary,
    help,
    async execute(argv, io) {
      const { values, positionals } = parseFlags(spec.flags, argv);
      if (values.help) {
        io.out(help());
        return EXIT_OK;
      }
      rejectPositionals(spec.name, positionals);
      return spec.run(values, io);
    },
  };
}

function formatHelp<S extends FlagSpecs>(spec: CommandSpec<S>): string {
  const rows = Object.entries({ ...spec.flags, help: HELP_FLAG }).map(([name, f]) => {
    const short = f.short ? `-${f.short}, ` : '';
    const value = f.type === 'string' ? ` ${f.value ?? 'value'}` : '';
    return [`${short}${flagName(name)}${value}`, f.description + (f.multiple ? ' (repeatable)' : '')];
  });
  const width = Math.max(...rows.map(([left]) => left.length));
  const lines = [
    `Usage: sscan ${spec.name} [flags]`,
    '',
    spec.summary,
    '',
    spec.description,
    '',
    'Flags:',
    ...rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`),
  ];
  if (spec.examples?.length) lines.push('', 'Examples:', ...spec.examples.map((e) => `  ${e}`));
  return lines.join('\n');
}
