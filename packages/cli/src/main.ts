/** `sscan <command> [flags]`: dispatch to the command table, turn errors into exit codes. */
import type { Command } from './command';
import { COMMANDS } from './commands/index';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError } from './errors';
import { type Io, processIo } from './io';
import { cliVersion } from './versions';

function topHelp(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'Usage: sscan <command> [flags]',
    '',
    "Mamba's selective scan (S6) for Node.js: check and benchmark it on this machine.",
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    "Run 'sscan <command> --help' for a command's flags. 'sscan --version' prints the version.",
  ].join('\n');
}

/** Run the CLI on argv (without node and script); resolves to the exit code. */
export async function main(
  argv: readonly string[],
  io: Io = processIo(),
  commands: readonly Command[] = COMMANDS,
): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    io.err(topHelp(commands));
    return EXIT_USAGE;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    io.out(topHelp(commands));
    return EXIT_OK;
  }
  if (name === '--version' || name === '-v') {
    io.out(cliVersion());
    return EXIT_OK;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    const what = name.startsWith('-') ? `the flag '${name}'` : `'${name}'`;
    io.err(`sscan: expected a command (${commands.map((c) => c.name).join(', ')}), got ${what}`);
    io.err("Run 'sscan --help' for usage.");
    return EXIT_USAGE;
  }
  try {
    return await command.execute(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`sscan ${command.name}: ${err.message}`);
      io.err(`Run 'sscan ${command.name} --help' for usage.`);
      return EXIT_USAGE;
    }
    io.err(`sscan ${command.name}: ${err instanceof Error ? err.message : String(err)}`);
    if (process.env.SSCAN_DEBUG && err instanceof Error && err.stack) io.err(err.stack);
    return EXIT_FAILURE;
  }
}
