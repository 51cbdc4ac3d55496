import { expect } from 'vitest'

type Reply = { statusCode: number; body: string; json(): any }

/** The JSON body of an answer whose status is `status`; another status fails, showing the body. */
export async function ok(reply: Promise<Reply> | Reply, status = 200): Promise<any> {
  const r = await reply
  expect(r.statusCode, r.body).toBe(status)
  return r.json()
}
