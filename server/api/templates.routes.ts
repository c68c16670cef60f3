import { z } from 'zod';
import type { DeviceRepository } from '../store/device.repository.js';
import type { PollService } from '../poller/poll.service.js';
import { TemplateEngine } from '../templates/template-engine.js';
import { compileTemplate } from '../templates/template-compile.js';
import { TemplateError } from '../templates/template-parse.js';
import { MAX_TEMPLATE_BYTES, TEMPLATE_ID } from '../templates/template.schema.js';
import { TemplateConflictError, TemplateNotFoundError, TemplateService, type TemplateInputBody } from '../templates/template.service.js';
import { ConflictError, NotFoundError, ValidationError } from './errors.js';
import { idParam, type ApiRegistry } from './registry.js';

const inputFields = {
  /** The template as an object (JSON). */
  template: z.unknown().optional(),
  /** …or as YAML/JSON text (what the console's editor sends). */
  text: z.string().max(MAX_TEMPLATE_BYTES).optional(),
};
const createSchema = z
  .object({
    ...inputFields,
    /** Limit the template to one device or one group (generated templates). */
    deviceId: z.number().int().positive().optional(),
    group: z.string().trim().min(1).max(64).optional(),
  })
  .strict();
const updateSchema = z.object(inputFields).strict();
const testSchema = z.object({ ...inputFields, deviceId: z.number().int().positive() }).strict();

const templateIdParam = (params: Record<string, string>) => {
  const id = params.id ?? '';
  if (!TEMPLATE_ID.test(id)) throw new NotFoundError('No such template');
  return id;
};

/** Template problems as the API's 400/404/409. */
function mapErrors<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof TemplateError) throw new ValidationError(e.message, e.issues);
    if (e instanceof TemplateConflictError) throw new ConflictError(e.message);
    if (e instanceof TemplateNotFoundError) throw new NotFoundError(e.message);
    throw e;
  }
}

export interface TemplateRouteDeps {
  templates: TemplateService;
  /** Null where this node polls nothing (central): the applied counts and device views are empty, dry runs refused. */
  engine: TemplateEngine | null;
  poller: PollService | null;
  devices: DeviceRepository;
}

/** Collection templates: list, custom CRUD, dry run, and what applies to a device. */
export function registerTemplateRoutes(api: ApiRegistry, deps: TemplateRouteDeps): void {
  const tag = 'templates';
  const audit = { object: 'template', loadText: (id: string) => deps.templates.stored(id) ?? null, objectId: ({ params, result }: { params: Record<string, string>; result: unknown }) => params.id ?? (result as { id?: string } | undefined)?.id ?? null };
  const applied = () => deps.engine?.appliedDevices() ?? new Map<string, number[]>();
  const dto = (id: string) => {
    const t = deps.templates.get(id);
    if (!t) throw new NotFoundError('No such template');
    return { ...deps.templates.toDto(t, applied().get(id)?.length ?? 0), sourceText: deps.templates.sourceText(id) };
  };

  api.add({ method: 'get', path: '/templates', summary: 'Collection templates (files and custom) with the devices each applies to, and the file load report', tag, access: 'viewer', response: '{items: Template[], loadReport}' }, () => {
    const a = applied();
    return { items: deps.templates.compiled().map((t) => deps.templates.toDto(t, a.get(t.id)?.length ?? 0)), loadReport: deps.templates.loadReport() };
  });

  api.add(
    { method: 'post', path: '/templates', summary: 'Add a custom collection template (object in `template`, or YAML/JSON in `text`); optionally for one device or group', tag, access: 'operator', body: createSchema, status: 201, response: 'The template', audit },
    ({ body }) => {
      if (body.deviceId !== undefined && !deps.devices.get(body.deviceId)) throw new NotFoundError('No such device');
      const t = mapErrors(() => deps.templates.create(body as TemplateInputBody));
      return dto(t.id);
    },
  );

  // Before /templates/:id so "test" is not taken for an id.
  api.add(
    { method: 'post', path: '/templates/test', summary: 'Dry run: discover and read a template on a device now (nothing stored); counters are read twice, a second apart', tag, access: 'operator', body: testSchema, response: '{applied, instances, samples, error}', audit: false },
    async ({ body }) => {
      const device = deps.devices.get(body.deviceId);
      if (!device) throw new NotFoundError('No such device');
      if (!deps.poller) throw new ConflictError('This node polls no device: test templates where the device is polled');
      const { body: tpl } = mapErrors(() => TemplateService.parseInput(body as TemplateInputBody));
      const compiled = compileTemplate(tpl, { source: 'custom' });
      const engine = new TemplateEngine({ templates: () => [compiled] });
      const once = async () => {
        const req = engine.request(device);
        if (!req) return { samples: [], result: undefined };
        const result = await deps.poller!.pollTemplates(device.id, req);
        if (!result) throw new ConflictError('The device cannot be polled from here (other site, outbound policy or unreadable credentials)');
        return { samples: engine.process(device, result), result };
      };
      let run = await once();
      const hasCounters = tpl.tables.some((t) => t.metrics.some((m) => m.type === 'counter')) || tpl.scalars.some((s) => s.type === 'counter');
      if (hasCounters && run.result?.ok) {
        await new Promise((r) => setTimeout(r, 1000));
        run = await once();
      }
      const view = engine.deviceView(device)[0];
      return {
        applied: run.result?.templates?.applied.includes(tpl.id) ?? false,
        error: run.result && !run.result.ok ? (run.result.error?.message ?? 'poll failed') : (run.result?.templates?.error ?? null),
        instances: view?.instances ?? [],
        scalars: view?.scalars ?? [],
        samples: run.samples.map((s) => ({ metric: s.metric, instance: s.instance, value: s.value, unit: s.unit ?? null })),
      };
    },
  );

  api.add({ method: 'get', path: '/templates/:id', summary: 'One template, with the text it was written in (custom ones)', tag, access: 'viewer', response: 'The template' }, ({ params }) => dto(templateIdParam(params)));

  api.add(
    { method: 'put', path: '/templates/:id', summary: 'Replace a custom template (file templates are read-only: 409)', tag, access: 'operator', body: updateSchema, response: 'The template', audit },
    ({ params, body }) => {
      const id = templateIdParam(params);
      mapErrors(() => deps.templates.update(id, body as TemplateInputBody));
      return dto(id);
    },
  );

  api.add({ method: 'delete', path: '/templates/:id', summary: 'Delete a custom template (file templates are read-only: 409)', tag, access: 'operator', status: 204, audit }, ({ params }) => {
    const id = templateIdParam(params);
    mapErrors(() => deps.templates.delete(id));
  });

  api.add({ method: 'get', path: '/devices/:id/templates', summary: 'Templates applied to a device: instances (label, gone), last values', tag, access: 'viewer', response: '{items: DeviceTemplate[]}' }, ({ params }) => {
    const device = deps.devices.get(idParam(params));
    if (!device) throw new NotFoundError('No such device');
    return { items: deps.engine?.deviceView(device) ?? [] };
  });
}
