import type { PublicContext, RequestContext } from '../../core/context.js';
import { ConflictError, notFound } from '../../core/errors.js';
import { assertCouncilVisible } from '../../core/principal.js';
import { recordAudit } from '../audit/index.js';
import { findCouncil, insertCouncil, listCouncils } from './repository.js';
import type { Council, CouncilInput } from './schemas.js';

export async function councils(ctx: PublicContext): Promise<{ items: Council[] }> {
  const rows = await listCouncils(ctx.database.db);
  return { items: rows.map((row) => ({ onsCode: row.ons_code, name: row.name })) };
}

/** Adds a council (audited); a council with this ONS code already there is a conflict. */
export async function addCouncil(ctx: RequestContext, input: CouncilInput): Promise<Council> {
  const { onsCode, name } = input;
  const inserted = await ctx.database.db.transaction().execute(async (trx) => {
    const row = await insertCouncil(trx, { onsCode, name });
    if (row) {
      await recordAudit(trx, {
        principal: ctx.principal,
        requestId: ctx.requestId,
        action: 'create',
        resourceType: 'council',
        resourceId: onsCode,
        after: { onsCode, name },
      });
    }
    return row;
  });
  if (!inserted) throw new ConflictError(`Council ${onsCode} exists already`);
  return { onsCode, name };
}

/** A council the principal may see (a commissioner: its own councils only), or a 404. */
export async function visibleCouncil(ctx: RequestContext, councilCode: string) {
  assertCouncilVisible(ctx.principal, councilCode);
  const council = await findCouncil(ctx.database.db, councilCode);
  if (!council) throw notFound('Council');
  return council;
}
