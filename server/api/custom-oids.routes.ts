import { z } from 'zod';
import type { OidDictionary } from '../mib/oid-dictionary.js';
import type { CustomOidRepository } from '../store/custom-oid.repository.js';
import type { DeviceRepository } from '../store/device.repository.js';
import { NotFoundError, ValidationError } from './errors.js';
import { idParam, type ApiRegistry } from './registry.js';

const NUMERIC = /^\.?\d+(\.\d+)+$/;
const bodySchema = z
  .object({
    deviceId: z.number().int().positive().optional(),
    group: z.string().trim().min(1).max(64).optional(),
    /** Numeric OID with instance, or a MIB name (`UCD-SNMP-MIB::laLoad.1`; scalars may leave out `.0`). */
    oid: z.string().trim().min(3).max(256),
    name: z.string().trim().min(1).max(64).regex(/^[A-Za-z0-9_.:-]+$/, 'letters, digits and _ . : - only').optional(),
    unit: z.string().trim().max(16).optional(),
  })
  .strict()
  .refine((b) => (b.deviceId === undefined) !== (b.group === undefined), { message: 'give either deviceId or group' });

/** User-defined OIDs, polled with each device's SNMP cycle and stored as metrics. */
export function registerCustomOidRoutes(api: ApiRegistry, deps: { customOids: CustomOidRepository; devices: DeviceRepository; dictionary: () => OidDictionary }): void {
  const tag = 'polling';
  const audit = { object: 'custom-oid', load: (id: number) => deps.customOids.get(id) };
  api.add({ method: 'get', path: '/custom-oids', summary: 'User-defined OIDs polled as metrics (per device or group)', tag, access: 'viewer', response: '{items}' }, () => ({
    items: deps.customOids.list(),
  }));

  api.add(
    { method: 'post', path: '/custom-oids', summary: 'Poll an extra OID (numeric or MIB name) on a device or on every device of a group', tag, access: 'operator', body: bodySchema, status: 201, response: 'The custom OID', audit },
    ({ body }) => {
      if (body.deviceId !== undefined && !deps.devices.get(body.deviceId)) throw new NotFoundError('No such device');
      let oid: string;
      let name = body.name;
      if (NUMERIC.test(body.oid)) {
        oid = body.oid.replace(/^\./, '');
        const res = deps.dictionary().resolve(oid);
        name ??= res.node ? `${res.node.name}${res.instance ? `.${res.instance}` : ''}` : oid;
      } else {
        const r = deps.dictionary().resolveName(body.oid);
        if (!r.found) {
          const candidates = r.ambiguous ? ` (ambiguous: ${JSON.stringify(r.ambiguous)})` : '';
          throw new ValidationError(`oid: unknown MIB name "${body.oid}"${candidates}`);
        }
        // A scalar without an instance means its .0.
        const instance = r.instance || (r.node.kind === 'scalar' ? '0' : '');
        if (!instance) throw new ValidationError(`oid: ${r.label} is a ${r.node.kind}; name one instance, e.g. ${r.label}.1`);
        oid = r.instance ? r.oid : `${r.oid}.${instance}`;
        name ??= `${r.node.name}.${instance}`;
      }
      return deps.customOids.create({ deviceId: body.deviceId ?? null, group: body.group ?? null, oid, name, input: body.oid, unit: body.unit ?? null });
    },
  );

  api.add({ method: 'delete', path: '/custom-oids/:id', summary: 'Stop polling a custom OID', tag, access: 'operator', status: 204, audit }, ({ params }) => {
    if (!deps.customOids.delete(idParam(params))) throw new NotFoundError('No such custom OID');
  });
}
