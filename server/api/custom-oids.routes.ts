import { z } from 'zod';
import type { OidDictionary } from '../mib/oid-dictionary.js';
import type { CustomOidRepository } from '../store/custom-oid.repository.js';
import type { DeviceRepository } from '../store/device.repository.js';
import { NotFoundError, ValidationError } from './errors.js';
import type { TemplateService } from '../templates/template.service.js';
import { tableTemplate, TableTemplateError } from '../templates/table-template.js';
import { TemplateError } from '../templates/template-parse.js';
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

/** True when the input names a table, an entry or a column without an instance (a template, not a single OID). */
function tableNode(dict: OidDictionary, input: string): boolean {
  const r = dict.lookup(input.trim());
  return r.found && !r.instance && (r.node.kind === 'table' || r.node.kind === 'row' || r.node.kind === 'column');
}

/** User-defined OIDs, polled with each device's SNMP cycle and stored as metrics. */
export function registerCustomOidRoutes(api: ApiRegistry, deps: { customOids: CustomOidRepository; devices: DeviceRepository; dictionary: () => OidDictionary; templates?: TemplateService }): void {
  const tag = 'polling';
  const audit = { object: 'custom-oid', load: (id: number) => deps.customOids.get(id) };
  api.add({ method: 'get', path: '/custom-oids', summary: 'User-defined OIDs polled as metrics (per device or group)', tag, access: 'viewer', response: '{items}' }, () => ({
    items: deps.customOids.list(),
  }));

  api.add(
    {
      method: 'post', path: '/custom-oids', tag, access: 'operator', body: bodySchema, status: 201, audit,
      summary: 'Poll an extra OID (numeric or MIB name) on a device or on every device of a group; a table, its entry or a column becomes (or grows) a generated collection template',
      response: 'The custom OID, or {kind: "template", template} for a table/entry/column',
    },
    ({ body }) => {
      const device = body.deviceId !== undefined ? deps.devices.get(body.deviceId) : undefined;
      if (body.deviceId !== undefined && !device) throw new NotFoundError('No such device');
      const table = deps.templates && tableNode(deps.dictionary(), body.oid);
      if (table && deps.templates) {
        // "Poll this table": a generated template per table and device/group, grown column by column.
        const scope = body.deviceId !== undefined ? { deviceId: body.deviceId } : { group: body.group! };
        try {
          const probe = tableTemplate(deps.dictionary(), body.oid, scope, undefined, device?.name);
          const existing = deps.templates.get(probe.id);
          if (existing && existing.origin.source === 'custom') {
            const merged = tableTemplate(deps.dictionary(), body.oid, scope, existing.body, device?.name);
            const t = deps.templates.update(existing.id, { template: merged });
            return { kind: 'template', template: deps.templates.toDto(t) };
          }
          const t = deps.templates.create({ template: probe, ...scope });
          return { kind: 'template', template: deps.templates.toDto(t) };
        } catch (e) {
          if (e instanceof TableTemplateError) throw new ValidationError(`oid: ${e.message}`);
          if (e instanceof TemplateError) throw new ValidationError(e.message, e.issues);
          throw e;
        }
      }
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
