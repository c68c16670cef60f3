import { readFileSync } from 'node:fs';
import { configSchema, OPTIONS, type Config, type OptionKey } from './config.schema.js';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const kebab = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const keyByFlag = new Map(Object.keys(OPTIONS).map((k) => [kebab(k), k as OptionKey]));

/** `--http-port 9000`, `--http-port=9000`, `--config file.json`. */
export function parseArgs(argv: readonly string[]): { values: Partial<Record<OptionKey, string>>; configFile?: string } {
  const values: Partial<Record<OptionKey, string>> = {};
  let configFile: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new ConfigError(`unexpected argument "${arg}"`);
    const eq = arg.indexOf('=');
    const flag = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined) throw new ConfigError(`--${flag} needs a value`);
    if (flag === 'config') {
      configFile = value;
      continue;
    }
    const key = keyByFlag.get(flag);
    if (!key) throw new ConfigError(`unknown option --${flag}`);
    values[key] = value;
  }
  return { values, configFile };
}

function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${path}: ${(err as Error).message}`);
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('top level must be an object');
    return parsed as Record<string, unknown>;
  } catch (err) {
    throw new ConfigError(`config file ${path} is not valid JSON: ${(err as Error).message}`);
  }
}

/**
 * Builds the one frozen Config: CLI > env > config file > defaults.
 * An invalid value throws a ConfigError naming the key (and its env variable).
 */
export function loadConfig(argv: readonly string[] = [], env: NodeJS.ProcessEnv = process.env): Config {
  const cli = parseArgs(argv);
  const filePath = cli.configFile ?? env.NMS_CONFIG;
  const file = filePath ? readConfigFile(filePath) : {};
  for (const key of Object.keys(file)) {
    if (!(key in OPTIONS)) throw new ConfigError(`unknown key "${key}" in config file ${filePath}`);
  }
  const raw: Record<string, unknown> = { ...file };
  for (const [key, opt] of Object.entries(OPTIONS) as [OptionKey, (typeof OPTIONS)[OptionKey]][]) {
    const fromEnv = env[opt.env];
    if (fromEnv !== undefined && fromEnv !== '') raw[key] = fromEnv;
    if (cli.values[key] !== undefined) raw[key] = cli.values[key];
  }
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => {
      const key = String(issue.path[0] ?? '');
      const opt = OPTIONS[key as OptionKey];
      const name = opt ? `${key} (${opt.env} / --${kebab(key)})` : key || 'config';
      return `${name}: ${issue.message}`;
    });
    throw new ConfigError(`invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  return Object.freeze(result.data);
}
