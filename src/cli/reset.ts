/**
 * `kubevirt-emulator reset [--data-dir DIR]`: deletes the cluster state that
 * `serve` keeps in DIR (default ~/.kubevirt-emulator), so the next `serve`
 * starts from an empty cluster. Certificates and tokens stay, so kubeconfigs
 * written before keep working. Refuses while a `serve` uses DIR.
 */
import type { Command } from 'commander';
import { defaultDataDir, resetStateFile, stateFileIn } from '../storage/state-file.js';

export function resetState(stateFile: string): void {
  const removed = resetStateFile(stateFile);
  process.stderr.write(removed ? `kubevirt-emulator: deleted the cluster state ${stateFile}\n` : '');
}

export function addResetCommand(program: Command): void {
  program
    .command('reset')
    .description('delete the cluster state kept in the data dir (certificates and tokens stay)')
    .option('--data-dir <path>', 'the data dir of the serve to reset (default: ~/.kubevirt-emulator)')
    .action((flags: { dataDir?: string }) => {
      const stateFile = stateFileIn(flags.dataDir ?? defaultDataDir());
      const removed = resetStateFile(stateFile);
      process.stdout.write(removed ? `deleted ${stateFile}\n` : `nothing to reset: ${stateFile} does not exist\n`);
    });
}
