import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// The project's root, where package.json is: two folders above this file when it runs as src/paths.ts
// under tsx, three when it runs compiled as dist/src/paths.js. Files the service reads at run time
// (fixtures/, openapi/) are found from here, so that both layouts work.
function findRoot(start: string): string {
  for (let folder = start; ; folder = dirname(folder)) {
    if (existsSync(join(folder, 'package.json'))) return folder;
    if (dirname(folder) === folder) throw new Error(`no package.json above ${start}`);
  }
}

export const projectRoot = findRoot(dirname(fileURLToPath(import.meta.url)));

/** A path inside the project, e.g. `projectPath('fixtures', 'rates')`. */
export const projectPath = (...parts: string[]): string => join(projectRoot, ...parts);

/**
 * Where `npm run build` makes the embedded database's template (src/cli/pglite-template.ts): a new
 * PGlite data folder starts as a copy of it rather than running initdb.
 */
export const PGLITE_TEMPLATE_DIR = projectPath('dist', 'pglite-template');
