import type { RouteOptions } from 'fastify'

type HookName = 'onRequest' | 'preHandler'
type Hook = NonNullable<RouteOptions['onRequest']> extends infer H ? (H extends Array<infer E> ? E : H) : never

/**
 * Appends a route-level hook from an `onRoute` hook. Route hooks run after the global ones (the
 * key check), in the order they were appended: the rate limit, then the in-flight budget.
 */
export function appendRouteHook(route: RouteOptions, name: HookName, hook: Hook): void {
  const own = route[name]
  route[name] = [...(own === undefined ? [] : Array.isArray(own) ? own : [own]), hook] as never
}
