/** Every `passerelle` subcommand, by name (imported statically: a bundle or a typo is caught at build time). */
import type { Command } from '../command.js';
import config from './config.js';
import demo from './demo.js';
import directory from './directory.js';
import keys from './keys.js';
import map from './map.js';
import quarantine from './quarantine.js';
import queue from './queue.js';
import start from './start.js';
import token from './token.js';
import trace from './trace.js';
import trust from './trust.js';

export const COMMANDS: Readonly<Record<string, Command>> = { config, demo, directory, keys, map, quarantine, queue, start, token, trace, trust };
