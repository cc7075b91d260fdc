import { makePgliteTemplate } from '../db/database.js';
import { PGLITE_TEMPLATE_DIR } from '../paths.js';

/**
 * The last step of `npm run build`: the embedded database's template in dist/pglite-template, made by
 * initdb once here so that a new data folder starts as a copy of it (src/db/database.ts). Nothing to
 * do when the template there was made by this PGlite with the same settings.
 */
const outcome = await makePgliteTemplate(PGLITE_TEMPLATE_DIR);
process.stdout.write(`PGlite template in ${PGLITE_TEMPLATE_DIR}: ${outcome}\n`);
