import type { Command } from 'commander';

export function registerContainerCommands(program: Command): void {
  void program;
}
