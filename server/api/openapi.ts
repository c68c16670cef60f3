import { z } from 'zod';
import type { ApiRegistry } from './registry.js';

const errorSchema = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: { code: { type: 'string' }, message: { type: 'string' }, details: {} },
      required: ['code', 'message'],
    },
  },
  required: ['error'],
};

function jsonSchema(schema: z.ZodType, io: 'input' | 'output' = 'input'): unknown {
  try {
    return z.toJSONSchema(schema, { io, unrepresentable: 'any' });
  } catch {
    return {};
  }
}

/** `/devices/:id` -> `/devices/{id}`. */
export const toOpenApiPath = (p: string) => p.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

/** OpenAPI 3.1 document built from the same registry that mounts the routes. */
export function buildOpenApi(registry: ApiRegistry, version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of registry.routes) {
    const path = toOpenApiPath(r.path);
    const params = [...r.path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
    const query: unknown[] = [];
    if (r.query) {
      const qs = jsonSchema(r.query) as { properties?: Record<string, unknown>; required?: string[] };
      for (const [name, schema] of Object.entries(qs.properties ?? {})) {
        query.push({ name, in: 'query', required: qs.required?.includes(name) ?? false, schema });
      }
    }
    const status = String(r.status ?? 200);
    const op: Record<string, unknown> = {
      summary: r.summary,
      tags: [r.tag],
      operationId: `${r.method}${path.replace(/[{}]/g, '').replace(/\/(\w)/g, (_m, c: string) => c.toUpperCase()).replace(/[^A-Za-z0-9]/g, '')}`,
      ...(params.length + query.length ? { parameters: [...params, ...query] } : {}),
      ...(r.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(r.body) } } } } : {}),
      responses: {
        [status]: { description: r.response ?? (status === '204' ? 'No content' : 'OK') },
        ...(r.body || r.query ? { 400: { description: 'Validation failed', content: { 'application/json': { schema: errorSchema } } } } : {}),
        ...(r.access !== 'public'
          ? {
              401: { description: 'Not authenticated', content: { 'application/json': { schema: errorSchema } } },
              403: { description: `Needs role ${r.access} or higher`, content: { 'application/json': { schema: errorSchema } } },
            }
          : {}),
      },
      ...(r.access === 'public' ? { security: [] } : { 'x-required-role': r.access }),
    };
    (paths[path] ??= {})[r.method] = op;
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Netwatch API', version, description: 'REST API of the Netwatch network management server.' },
    servers: [{ url: '/api/v1' }],
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'Session token from /auth/login or an API token from /tokens' },
        cookie: { type: 'apiKey', in: 'cookie', name: 'nw_session' },
      },
    },
    security: [{ bearer: [] }, { cookie: [] }],
    paths,
  };
}
