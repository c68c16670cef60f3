import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OPTIONS } from '../../../server/config/config.schema.js';
import { PROJECT_ROOT } from '../../../server/paths.js';

describe('README configuration table', () => {
  it('documents every setting with its config-file key and environment variable', () => {
    const readme = readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8');
    const missing = Object.entries(OPTIONS)
      .filter(([key, o]) => !readme.includes(`\`${key}\``) || !readme.includes(`\`${o.env}\``))
      .map(([key, o]) => `${key} / ${o.env}`);
    expect(missing).toEqual([]);
  });
});
