import { z } from 'zod';
import { AUTH_PROTOCOLS, PRIV_PROTOCOLS } from '../contracts/dto.js';
import type { DiscoveryService } from '../poller/discovery.service.js';
import { NotFoundError } from './errors.js';
import { idParam, type ApiRegistry } from './registry.js';

const credential = z.discriminatedUnion('version', [
  z.object({ version: z.literal('1'), community: z.string().min(1).max(256) }).strict(),
  z.object({ version: z.literal('2c'), community: z.string().min(1).max(256) }).strict(),
  z
    .object({
      version: z.literal('3'),
      username: z.string().min(1).max(64),
      authProtocol: z.enum(AUTH_PROTOCOLS).nullable().optional(),
      authKey: z.string().min(8).max(256).optional(),
      privProtocol: z.enum(PRIV_PROTOCOLS).nullable().optional(),
      privKey: z.string().min(8).max(256).optional(),
    })
    .strict(),
]);

const bodySchema = z
  .object({
    cidr: z.string().min(9).max(18),
    credentials: z.array(credential).min(1).max(10),
    port: z.number().int().min(1).max(65535).default(161),
    timeoutMs: z.number().int().min(100).max(10_000).default(1000),
    add: z.boolean().default(false),
  })
  .strict();

export function registerDiscoveryRoutes(api: ApiRegistry, deps: { discovery: DiscoveryService }): void {
  const tag = 'discovery';
  api.add(
    {
      method: 'post',
      path: '/discovery',
      summary: 'Discover an IPv4 CIDR (at most 4,096 hosts, every address allowed by the outbound policy; at most 2 jobs at once, else 429): ICMP sweep, then SNMP probe of responders with each credential; progress on socket event discovery.progress',
      tag,
      access: 'operator',
      body: bodySchema,
      status: 202,
      response: 'The job (poll GET /discovery/{id} or listen to discovery.progress)',
      audit: { object: 'discovery', action: 'start' },
    },
    ({ body }) => deps.discovery.start(body),
  );

  api.add({ method: 'get', path: '/discovery', summary: 'Recent discovery jobs', tag, access: 'viewer', response: '{items: DiscoveryJob[]}' }, () => ({
    items: deps.discovery.list(),
  }));

  api.add({ method: 'get', path: '/discovery/:id', summary: 'One discovery job with its progress and what it found', tag, access: 'viewer', response: 'DiscoveryJob' }, ({ params }) => {
    const job = deps.discovery.get(idParam(params));
    if (!job) throw new NotFoundError('No such discovery job');
    return job;
  });
}
