/**
 * The `wirestack` command line. Each subcommand lives in its own module and registers itself here.
 * `run(argv)` returns the process exit code: 0 success, 1 a check failed, 2 bad usage.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { registerConformance } from './conformance.js';
import { registerDemo } from './demo.js';
import { registerDrill } from './drill.js';
import { registerPcap } from './pcap.js';
import { registerRun } from './run.js';

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('wirestack')
    .description('A user-space TCP/IP stack in TypeScript, and the tools around it.')
    .version(packageVersion(), '-V, --version', 'print the version and exit')
    .showHelpAfterError()
    .exitOverride();
  registerConformance(program);
  registerDemo(program);
  registerDrill(program);
  registerPcap(program);
  registerRun(program);
  return program;
}

export async function run(argv: string[]): Promise<number> {
  const program = buildProgram();
  // Subcommands report their own exit code through this variable.
  let code = 0;
  program.hook('postAction', (_this, action) => {
    const c = (action as Command & { exitCode?: number }).exitCode;
    if (typeof c === 'number') code = c;
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (
        e.code === 'commander.helpDisplayed' ||
        e.code === 'commander.version' ||
        e.code === 'commander.help'
      ) {
        return 0;
      }
      return 2;
    }
    process.stderr.write(`wirestack: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}
