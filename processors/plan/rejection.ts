import type { ErrorObject } from 'ajv'
import type { Rejection } from '../pipeline/event.js'

/** ajv's first error as our stable rejection codes. */
export function rejectionOf(err: ErrorObject | undefined): Rejection {
  if (err === undefined) return { code: 'invalid', path: '/properties', message: 'invalid properties' }
  const base = `/properties${err.instancePath}`
  switch (err.keyword) {
    case 'required': {
      const missing = String((err.params as { missingProperty: string }).missingProperty)
      return { code: 'required_missing', path: `${base}/${missing}`, message: `${missing} is required` }
    }
    case 'additionalProperties': {
      const extra = String((err.params as { additionalProperty: string }).additionalProperty)
      return { code: 'additional_property', path: `${base}/${extra}`, message: `${extra} is not in the tracking plan` }
    }
    case 'type': return { code: 'type_mismatch', path: base, message: `must be ${String((err.params as { type: string }).type)}` }
    case 'enum': return { code: 'enum_mismatch', path: base, message: `must be one of ${((err.params as { allowedValues: unknown[] }).allowedValues).map(String).join(', ')}` }
    default: return { code: 'constraint_violation', path: base, message: `${err.keyword}: ${err.message ?? 'invalid'}` }
  }
}
