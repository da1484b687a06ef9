/**
 * Configuration pieces every family shares: optimizer, train and eval schemas (zod), YAML parsing with
 * line/column errors, preset lookup and deep merging of command-line overrides. The whole run schema,
 * with each family's `model` section, is assembled in src/families/config.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';

export { evalSchema, optimizerSchema, trainSchema, type OptimizerConfig } from './config_schema.ts';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export const PRESETS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'presets');

export function listPresets(): { name: string; description: string }[] {
  return fs
    .readdirSync(PRESETS_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => {
      const raw = parseYaml(fs.readFileSync(path.join(PRESETS_DIR, f), 'utf8'), f) as { description?: string };
      return { name: f.replace(/\.yaml$/, ''), description: String(raw.description ?? '') };
    });
}

export function parseYaml(text: string, source: string): unknown {
  try {
    return YAML.parse(text);
  } catch (e) {
    if (e instanceof YAML.YAMLParseError) {
      const pos = e.linePos?.[0];
      const where = pos ? ` at line ${pos.line}, column ${pos.col}` : '';
      throw new ConfigError(`malformed YAML in ${source}${where}: ${e.message.split('\n')[0]}`);
    }
    // The yaml package throws plain errors for some semantic faults (an alias to an undefined anchor).
    throw new ConfigError(`malformed YAML in ${source}: ${(e as Error).message.split('\n')[0]}`);
  }
}

export function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const cur = out[k];
    if (v && typeof v === 'object' && !Array.isArray(v) && cur && typeof cur === 'object' && !Array.isArray(cur)) {
      out[k] = deepMerge(cur as Record<string, unknown>, v as Record<string, unknown>);
    } else if (v !== undefined) {
      out[k] = v;
    }
  }
  return out;
}

