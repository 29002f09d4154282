import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { parse } from 'yaml'
import { packageRoot } from '../../../processors/package-root.js'

/** Where the document ships: `docs/` beside package.json, whether we run from source or `dist/`. */
export const OPENAPI_PATH = join(packageRoot(), 'docs', 'openapi.yaml')

/**
 * `GET /openapi.yaml` (the document as shipped) and `GET /openapi.json` (SPEC §4: "An OpenAPI
 * document is served"). Read and parsed once, when the routes are registered: a broken file
 * stops the gateway at start rather than failing the first client that asks for it.
 */
export function openApiRoutes(app: FastifyInstance): void {
  const yamlText = readFileSync(OPENAPI_PATH, 'utf8')
  const jsonText = JSON.stringify(parse(yamlText))
  const config = { access: 'public' } as const
  app.get('/openapi.json', { config }, async (_req, reply) => reply.type('application/json; charset=utf-8').send(jsonText))
  // RFC 9512 registers application/yaml without a charset parameter: YAML is UTF-8 here.
  app.get('/openapi.yaml', { config }, async (_req, reply) => reply.type('application/yaml').send(yamlText))
}
