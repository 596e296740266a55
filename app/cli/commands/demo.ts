import type { Command } from '../command.js';
import { runDemo } from '../../demo/run-demo.js';

const demo: Command = {
  summary: 'run the gateway between a legacy relay simulator and a national operator, and send three messages',
  usage: [
    'passerelle demo [--verbose] [--keep]',
    '',
    'Starts, on loopback, a legacy relay simulator, a national operator (mutual TLS, trust list),',
    'and the gateway between them; sends a lab report with a panic value each way and a letter',
    'with a PDF; prints what each recipient received and each message\'s trace. All material is',
    'generated test material. --keep leaves it (and the database) in the temporary folder.',
  ].join('\n'),
  run(args, io) {
    return runDemo(io.out, { verbose: args.includes('--verbose'), keep: args.includes('--keep') });
  },
};

export default demo;
