/** Test support: temporary folders that are removed when the test file ends. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after } from 'node:test';

/**
 * Call at a test file's top level: returns a maker of temporary folders (`prefix` + random suffix in the
 * system temp folder), all removed when the file's tests are done, so the suite leaves nothing behind.
 */
export function tempDirMaker(): (prefix: string) => string {
  const made: string[] = [];
  after(() => made.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
  return (prefix) => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    made.push(d);
    return d;
  };
}
