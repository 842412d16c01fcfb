import type { Command } from 'commander';

export function registerSystemCommands(program: Command): void {
  void program;
}
