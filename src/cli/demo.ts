import type { Command } from 'commander';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('show what the stack can do so far (builds frames, checksums them, prints them)')
    .action(() => {
      process.stdout.write('wirestack demo\n');
    });
}
