import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../config.js'
import { normaliseIdentities, normaliseIdentity } from './identities.js'

describe('identity normalisation', () => {
  it('reads a Persian mobile in region IR and a Greek one in region GR as E.164', () => {
    expect(normaliseIdentity({ kind: 'phone', value: '0912 345 6789' }, 'IR')).toEqual({ value: '+989123456789' })
    expect(normaliseIdentity({ kind: 'phone', value: '6912345678' }, 'GR')).toEqual({ value: '+306912345678' })
    expect(normaliseIdentity({ kind: 'phone', value: '+30 691 234 5678' }, 'IR')).toEqual({ value: '+306912345678' })
    expect(normaliseIdentity({ kind: 'phone', value: '(0912) 345-6789', region: 'IR' }, 'GR')).toEqual({ value: '+989123456789' })
  })

  it('refuses what is not a phone number', () => {
    for (const value of ['12', 'call me', '+30 1', '0000000000000000000']) {
      expect(normaliseIdentity({ kind: 'phone', value }, 'GR')).toHaveProperty('error')
    }
  })

  it('trims and lower-cases emails and refuses malformed ones', () => {
    expect(normaliseIdentity({ kind: 'email', value: '  Maria.K@Example.GR ' })).toEqual({ value: 'maria.k@example.gr' })
    expect(normaliseIdentity({ kind: 'email', value: 'maria@' })).toHaveProperty('error')
  })

  it('stores Instagram handles lower-cased without @', () => {
    expect(normaliseIdentity({ kind: 'instagram', value: '@Maria.Shop_' })).toEqual({ value: 'maria.shop_' })
    expect(normaliseIdentity({ kind: 'instagram', value: 'has space' })).toHaveProperty('error')
  })

  it('reports every bad value at its index and drops repeats', () => {
    expect(() =>
      normaliseIdentities([{ kind: 'email', value: 'ok@x.gr' }, { kind: 'phone', value: 'nope' }, { kind: 'email', value: 'bad' }], 'identities', 'GR'),
    ).toThrow(expect.objectContaining({ kind: 'validation-failed', members: { errors: [expect.objectContaining({ path: 'identities.1.value' }), expect.objectContaining({ path: 'identities.2.value' })] } }))
    expect(normaliseIdentities([{ kind: 'email', value: 'A@x.gr' }, { kind: 'email', value: 'a@X.gr' }])).toEqual([{ kind: 'email', value: 'a@x.gr' }])
  })

  it('takes the default phone region from OMNIA_DEFAULT_PHONE_REGION, GR when unset', () => {
    expect(loadConfig({}).defaultPhoneRegion).toBe('GR')
    expect(loadConfig({ OMNIA_DEFAULT_PHONE_REGION: 'ir' }).defaultPhoneRegion).toBe('IR')
    expect(() => loadConfig({ OMNIA_DEFAULT_PHONE_REGION: 'Greece' })).toThrow(/OMNIA_DEFAULT_PHONE_REGION/)
  })
})
