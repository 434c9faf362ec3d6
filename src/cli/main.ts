import { COMMANDS } from './registry';
import { QuellError } from '../errors';

const VERSION = '0.1.0';

function help(): string {
  const names = Object.keys(COMMANDS).sort();
  const lines = names.map((n) => {
    let s = '';
    try { s = COMMANDS[n]().summary; } catch { s = ''; }
    return `  ${n.padEnd(10)} ${s}`;
  });
  return [
    'quell: userspace L7 firewall and inline IPS (NFQUEUE), with offline replay',
    '',
    'usage: quell COMMAND [options]     quell COMMAND --help',
    '',
    'commands:',
    ...lines,
    '',
    'exit status: 0 ok, 1 errors in the input (or failed checks), 2 usage error',
    '',
  ].join('\n');
}

/** Entry point. Returns the exit code; never calls process.exit so output is flushed. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(help());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-V') { process.stdout.write(`quell ${VERSION} (node ${process.version})\n`); return 0; }
  const factory = COMMANDS[name];
  if (!factory) {
    process.stderr.write(`quell: unknown command "${name}"\n\n${help()}`);
    return 2;
  }
  const cmd = factory();
  if (rest.includes('--help') || rest.includes('-h')) { process.stdout.write(cmd.usage.endsWith('\n') ? cmd.usage : cmd.usage + '\n'); return 0; }
  try {
    return await cmd.run(rest);
  } catch (err) {
    if (err instanceof QuellError) {
      process.stderr.write(`quell ${name}: error[${err.code}]: ${err.message}\n`);
      if (err.exitCode === 2) process.stderr.write(`(see: quell ${name} --help)\n`);
      return err.exitCode;
    }
    throw err;
  }
}
