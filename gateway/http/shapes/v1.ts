/**
 * PulseGate's own wire format (SPEC §4): `POST /v1/batch` `{ events, schema_version?, sent_at?,
 * write_key? }` and `POST /v1/track`, one event with the same envelope fields beside it.
 * Events are already in the canonical raw shape (processors/pipeline/normalize.ts).
 */
import { asIs, batchOf, singleOf, type Shape } from './shape.js'

export const v1Batch: Shape = (body) => batchOf(body, asIs)

export const v1Track: Shape = (body) => singleOf(body, asIs)
