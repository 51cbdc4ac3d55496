import { recordAudit, type Principal } from '../../kernel/auth/index.js'
import type { Clock } from '../../kernel/clock.js'
import { BatchQueue, crossModule, inTransaction, type AnyTx } from '../../kernel/db/index.js'
import { reserveMany, type ReserveRequest } from './grouped-reservations.js'
import { sendWrite, type ModuleRoutes } from '../../kernel/http/index.js'
import {
  callerOf,
  confirmReservation,
  getReservation,
  releaseReservation,
  reserve,
} from './reservations.js'
import { IdParams, ReservationView, ReserveBody } from './schema.js'

const tags = ['inventory']

type Submitted = ReserveRequest & { principal: Principal; requestId: string }

function auditReserved(tx: AnyTx, clock: Clock, item: Submitted, reservation: ReservationView) {
  return recordAudit(
    tx,
    clock,
    item.principal,
    { action: 'inventory.reserved', resource: 'reservation', resourceId: reservation.id, after: reservation },
    item.requestId,
  )
}

export const reservationRoutes: ModuleRoutes = async (app, deps) => {
  const { db, clock } = deps
  // Reservations are the hottest write: concurrent ones share a commit and, where each line
  // has one possible location, one statement (reserveMany). The embedded engine runs one
  // transaction at a time, so one lane makes the biggest groups there.
  const grouped = new BatchQueue(
    db,
    async (tx, items: readonly Submitted[]) => {
      const outcomes = await reserveMany(tx, clock, items)
      for (const [i, o] of outcomes.entries()) if (o.ok) await auditReserved(tx, clock, items[i]!, o.value)
      return outcomes
    },
    deps.engine === 'pglite' ? 1 : 4,
  )

  app.post(
    '/v1/inventory/reservations',
    {
      schema: {
        tags,
        description: 'Reserves every line or none; send Idempotency-Key to retry safely',
        body: ReserveBody,
        response: { 201: ReservationView },
      },
      config: { scope: 'inventory:reserve' },
    },
    async (req, reply) => {
      const item = { caller: callerOf(req.principal), input: req.body, principal: req.principal, requestId: req.id }
      // A retry-safe request keeps its own transaction: its key row is written before the
      // reservation, which a shared group could not undo alone.
      if (req.headers['idempotency-key'] !== undefined) {
        return sendWrite(req, reply, deps, 201, async (tx) => {
          const reservation = await reserve(tx, clock, item.caller, item.input)
          await auditReserved(crossModule(tx), clock, item, reservation)
          return reservation
        })
      }
      return reply.code(201).send(await grouped.submit(item))
    },
  )

  app.get(
    '/v1/inventory/reservations/:id',
    {
      schema: { tags, params: IdParams, response: { 200: ReservationView } },
      config: { scope: 'inventory:read' },
    },
    async (req) => inTransaction(db, (tx) => getReservation(tx, req.params.id)),
  )

  app.post(
    '/v1/inventory/reservations/:id/confirm',
    {
      schema: {
        tags,
        description: 'Turns the reservation into a sale',
        params: IdParams,
        response: { 200: ReservationView },
      },
      config: { scope: 'inventory:reserve' },
    },
    (req, reply) =>
      sendWrite(req, reply, deps, 200, async (tx) => {
        const caller = callerOf(req.principal)
        const reservation = await confirmReservation(tx, clock, caller.actor, req.params.id)
        await recordAudit(
          crossModule(tx),
          clock,
          req.principal,
          {
            action: 'inventory.reservation_confirmed',
            resource: 'reservation',
            resourceId: reservation.id,
            before: { status: 'active' },
            after: reservation,
          },
          req.id,
        )
        return reservation
      }),
  )

  app.post(
    '/v1/inventory/reservations/:id/release',
    {
      schema: {
        tags,
        description: 'Gives the units back',
        params: IdParams,
        response: { 200: ReservationView },
      },
      config: { scope: 'inventory:reserve' },
    },
    (req, reply) =>
      sendWrite(req, reply, deps, 200, async (tx) => {
        const reservation = await releaseReservation(tx, clock, req.params.id)
        await recordAudit(
          crossModule(tx),
          clock,
          req.principal,
          {
            action: 'inventory.reservation_released',
            resource: 'reservation',
            resourceId: reservation.id,
            before: { status: 'active' },
            after: reservation,
          },
          req.id,
        )
        return reservation
      }),
  )
}
