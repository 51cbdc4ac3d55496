import { recordAudit } from '../../kernel/auth/index.js'
import { crossModule, GroupCommit, inTransaction } from '../../kernel/db/index.js'
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

export const reservationRoutes: ModuleRoutes = async (app, deps) => {
  const { db, clock } = deps
  // Reservations are the hottest write: concurrent ones share a commit. `reserve` writes
  // nothing before its last refusal (its grant is one guarded statement), as GroupCommit needs.
  // The embedded engine runs one transaction at a time: one lane makes the biggest groups.
  const group = new GroupCommit(db, deps.engine === 'pglite' ? 1 : 4)

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
    (req, reply) =>
      sendWrite(req, reply, deps, 201, async (tx) => {
        const reservation = await reserve(tx, clock, callerOf(req.principal), req.body)
        await recordAudit(
          crossModule(tx),
          clock,
          req.principal,
          {
            action: 'inventory.reserved',
            resource: 'reservation',
            resourceId: reservation.id,
            after: reservation,
          },
          req.id,
        )
        return reservation
      }, group),
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
