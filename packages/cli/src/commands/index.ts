/**
 * The command table. A new command is one file in this folder exporting a Command (see
 * ../command.ts) and one line here; `sscan --help` lists them in this order.
 */
import type { Command } from '../command';
import { bench } from './bench';
import { check } from './check';
import { info } from './info';
import { trainCommand } from './train';

export const COMMANDS: readonly Command[] = [info, check, bench, trainCommand];
