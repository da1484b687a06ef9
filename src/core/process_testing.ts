/** Test support: run `gantry train` in a child process and SIGKILL it the moment its first checkpoint lands. */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/**
 * Spawns `node <bin> train ...args` (args must include `--out runDir`) and kills it with SIGKILL as soon as
 * `runDir/checkpoints/latest/state.json` exists. Rejects when the run exits on its own first.
 */
export async function trainUntilFirstCheckpointThenKill(bin: string, args: string[], runDir: string, cwd: string): Promise<void> {
  const child = spawn(process.execPath, [bin, 'train', ...args], { cwd, stdio: 'ignore' });
  const state = path.join(runDir, 'checkpoints', 'latest', 'state.json');
  let killed = false;
  await new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      if (fs.existsSync(state)) {
        clearInterval(timer);
        killed = child.kill('SIGKILL');
        resolve();
      }
    }, 2);
    child.once('exit', () => {
      clearInterval(timer);
      if (!killed) reject(new Error('training exited before it could be killed after its first checkpoint'));
    });
  });
  if (child.exitCode === null && child.signalCode === null) await new Promise((r) => child.once('exit', r));
}
