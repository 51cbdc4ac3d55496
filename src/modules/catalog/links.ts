import type { Clock } from '../../kernel/clock.js'
import { crossModule, type Tx } from '../../kernel/db/index.js'
import { validationFailed, type FieldError } from '../../kernel/errors.js'
import { assertChannelsExist } from '../channels/index.js'
import { beginChange, existingProducts, finishChange, type Change } from './changes.js'
import type { CatalogTables } from './db.js'
import type { SetChannelsBody, SetRelationsBody } from './schema.js'

/**
 * Replaces a product's relations (complementary, accessory, substitute) with `input`, in its
 * order. A relation to itself, one given twice or to an unknown product is `validation-failed`
 * at `relations.<i>.productId`. Appends `catalog.product_updated`.
 */
export async function setRelations(
  tx: Tx<CatalogTables>,
  clock: Clock,
  id: string,
  input: SetRelationsBody,
): Promise<Change> {
  const known = await existingProducts(
    tx,
    input.relations.map((r) => r.productId),
  )
  const seen = new Set<string>()
  const errors: FieldError[] = []
  input.relations.forEach((r, i) => {
    const path = `relations.${i}.productId`
    const key = `${r.kind} ${r.productId}`
    if (r.productId === id) errors.push({ path, message: 'a product cannot relate to itself' })
    else if (!known.has(r.productId)) errors.push({ path, message: `no product ${r.productId}` })
    else if (seen.has(key)) errors.push({ path, message: `${r.productId} is already ${r.kind}` })
    seen.add(key)
  })
  if (errors.length > 0) throw validationFailed(errors)
  const before = await beginChange(tx, id)
  await tx.deleteFrom('catalog.product_relation').where('product_id', '=', id).execute()
  if (input.relations.length > 0) {
    const now = clock.now()
    await tx
      .insertInto('catalog.product_relation')
      .values(
        input.relations.map((r, i) => ({
          product_id: id,
          kind: r.kind,
          related_id: r.productId,
          position: i,
          created_at: now,
        })),
      )
      .execute()
  }
  return finishChange(tx, clock, before, ['relations'])
}

/**
 * Sets which channels sell a product (null: every channel). Unknown channel codes are
 * `validation-failed` at `channels.<i>`. A touchpoint of a channel left out no longer lists the
 * product and gets `not-found` for it. Appends `catalog.product_updated`.
 */
export async function setChannels(
  tx: Tx<CatalogTables>,
  clock: Clock,
  id: string,
  input: SetChannelsBody,
): Promise<Change> {
  const channels = input.channels === null ? null : [...new Set(input.channels)]
  await assertChannelsExist(
    crossModule(tx),
    (input.channels ?? []).map((code, i) => ({ code, path: `channels.${i}` })),
  )
  const before = await beginChange(tx, id)
  await tx.updateTable('catalog.product').set({ channels }).where('id', '=', id).execute()
  return finishChange(tx, clock, before, ['channels'])
}
