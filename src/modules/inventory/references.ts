import { crossModule, type AnyTx } from '../../kernel/db/index.js'
import { DomainError, notFound, validationFailed, type FieldError } from '../../kernel/errors.js'
import { assertSkusExist } from '../catalog/index.js'
import { assertLocationsExist } from '../locations/index.js'

/**
 * Checks that SKUs exist in the catalog and location codes exist, answering one
 * `validation-failed` that names every unknown reference at its field path.
 */
export async function assertKnown(
  tx: AnyTx,
  skus: readonly { sku: string; path: string }[],
  locations: readonly { code: string; path: string }[],
): Promise<void> {
  const errors: FieldError[] = []
  const checks = [
    () => assertSkusExist(crossModule(tx), skus),
    () => assertLocationsExist(crossModule(tx), locations),
  ]
  for (const check of checks) {
    try {
      await check()
    } catch (err) {
      if (!(err instanceof DomainError) || err.kind !== 'validation-failed') throw err
      errors.push(...(err.members as { errors: FieldError[] }).errors)
    }
  }
  if (errors.length > 0) throw validationFailed(errors)
}

/** For reads addressed by SKU: an unknown one is `not-found`, not a bad field. */
export async function assertSkuFound(tx: AnyTx, sku: string): Promise<void> {
  try {
    await assertSkusExist(crossModule(tx), [{ sku, path: 'sku' }])
  } catch (err) {
    if (err instanceof DomainError && err.kind === 'validation-failed') throw notFound('SKU', sku)
    throw err
  }
}
