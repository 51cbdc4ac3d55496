import { recordAudit } from '../../kernel/auth/index.js'
import { crossModule, inTransaction } from '../../kernel/db/index.js'
import { changeConfiguration, type ModuleRoutes } from '../../kernel/http/index.js'
import { ShippingRatesBody, ShippingRatesView, SourcingPolicyBody } from './schema.js'
import { setShippingRates, shippingRates } from './shipping-rates.js'
import { setSourcingPolicy, sourcingPolicy } from './sourcing-policy.js'

const tags = ['orders']

/** The sourcing policy and the shipping rates: admin configuration, audited. */
export const orderSettingsRoutes: ModuleRoutes = async (app, deps) => {
  const { db, clock } = deps

  app.get(
    '/v1/sourcing-policy',
    {
      schema: { tags, response: { 200: SourcingPolicyBody } },
      config: { scope: 'orders:configure' },
    },
    async () => {
      const policy = await inTransaction(db, (tx) => sourcingPolicy(tx))
      return { ...policy, rules: [...policy.rules] }
    },
  )

  app.put(
    '/v1/sourcing-policy',
    {
      schema: { tags, body: SourcingPolicyBody, response: { 200: SourcingPolicyBody } },
      config: { scope: 'orders:configure' },
    },
    (req, reply) =>
      changeConfiguration(req, reply, deps, 200, async (tx) => {
        const change = await setSourcingPolicy(tx, clock, req.body)
        await recordAudit(
          crossModule(tx),
          clock,
          req.principal,
          {
            action: 'sourcing_policy.updated',
            resource: 'sourcing_policy',
            resourceId: 'default',
            ...change,
          },
          req.id,
        )
        return { ...change.after, rules: [...change.after.rules] }
      }),
  )

  app.get(
    '/v1/shipping-rates',
    {
      schema: { tags, response: { 200: ShippingRatesView } },
      config: { scope: 'orders:read' },
    },
    async () => inTransaction(db, (tx) => shippingRates(tx)),
  )

  app.put(
    '/v1/shipping-rates',
    {
      schema: { tags, body: ShippingRatesBody, response: { 200: ShippingRatesView } },
      config: { scope: 'orders:configure' },
    },
    (req, reply) =>
      changeConfiguration(req, reply, deps, 200, async (tx) => {
        const change = await setShippingRates(tx, clock, req.body)
        await recordAudit(
          crossModule(tx),
          clock,
          req.principal,
          {
            action: 'shipping_rates.updated',
            resource: 'shipping_rates',
            resourceId: 'all',
            ...change,
          },
          req.id,
        )
        return change.after
      }),
  )
}
