import { z } from 'zod';

/**
 * Collection template format (issue 16). A template says when it applies to a
 * device, which tables to walk (low-level discovery of their rows), which
 * columns are the instance label, metrics and inventory, and per-instance
 * thresholds. Files live in `templates/*.yaml|json`; more are stored in the
 * database (API/console). `templates/README.md` documents every field.
 *
 * Hostile bodies: every string, list and map is bounded; enum maps are keyed by
 * integers only (so `__proto__`/`constructor` keys are refused, not dropped);
 * objects are strict (an unknown or misspelt field is an error, not ignored);
 * regular expressions are checked by the caller with RE2 (see template-compile.ts).
 */

const MAX_ARC = 4294967295;

/** Numeric OID, at least two arcs, each 0..2^32-1, at most 128 arcs; a leading dot is accepted and dropped. */
export const oidSchema = z
  .string()
  .max(600)
  .regex(/^\.?\d{1,10}(\.\d{1,10}){1,127}$/, 'not a numeric OID (e.g. 1.3.6.1.2.1.99.1.1.1)')
  .transform((s) => (s.startsWith('.') ? s.slice(1) : s))
  .refine((s) => s.split('.').every((a) => Number(a) <= MAX_ARC), 'OID arc above 4294967295');

/** A sysObjectID prefix: a numeric OID, optionally ending in a dot (`1.3.6.1.4.1.9.` = Cisco and below). */
const oidPrefixSchema = z
  .string()
  .max(600)
  .regex(/^\.?\d{1,10}(\.\d{1,10}){0,127}\.?$/, 'not a numeric OID prefix (e.g. 1.3.6.1.4.1.9.)')
  .transform((s) => s.replace(/^\./, ''));

/** Column number inside a table entry (entry.N). */
export const columnSchema = z.number().int().min(1).max(MAX_ARC);

export const TEMPLATE_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;
export const templateIdSchema = z.string().regex(TEMPLATE_ID, 'template id: lower-case letters, digits and dashes, 1-63 characters, starting with a letter or digit');

/** Stored metric names: `area.quantity` style, e.g. `sensor.temperature`, `storage.usedBytes`. */
export const METRIC_NAME = /^[A-Za-z][A-Za-z0-9_]{0,62}(\.[A-Za-z0-9_]{1,63}){0,4}$/;
const metricNameSchema = z.string().max(128).regex(METRIC_NAME, 'metric name: letters, digits, _ and dot-separated parts, starting with a letter (e.g. sensor.temperature)');

/** Keys of enum maps: the integer value of the column (as text). */
const enumKey = z.string().regex(/^-?\d{1,10}$/, 'enum map keys are integers (the column value)');
const shortText = (max: number) => z.string().min(1).max(max);
const unitSchema = z.string().max(32);

/** Another table, indexed by a value of this row: `entry` is its Entry OID, `column` the column read. */
export const lookupSchema = z
  .object({
    entry: oidSchema,
    column: columnSchema,
  })
  .strict();

/**
 * A value of a row: this table's `column`, or (with `lookup`) the value found in
 * another table at the index given by `column` (or by the row's own index when
 * `column` is omitted). A value that is an OID (e.g. etherStatsDataSource =
 * ifIndex.N) indexes the other table by its last arc.
 */
export const columnRefSchema = z.union([
  columnSchema,
  z
    .object({
      column: columnSchema.optional(),
      lookup: lookupSchema.optional(),
    })
    .strict()
    .refine((r) => r.column !== undefined || r.lookup !== undefined, 'give a column, a lookup, or both'),
]);

export const severitySchema = z.enum(['critical', 'major', 'minor', 'warning', 'info']);

export const thresholdSchema = z
  .object({
    op: z.enum(['>', '>=', '<', '<=']),
    value: z.number().finite(),
    /** Hysteresis: once raised, clears only when the value is back past `clear` (default: `value`). */
    clear: z.number().finite().optional(),
    severity: severitySchema.default('major'),
    /** Consecutive polls past `value` before raising (default 1). */
    forPolls: z.number().int().min(1).max(1000).default(1),
    /** Alarm title; `{device.name}`, `{metric}`, `{instance}`, `{value}`, `{threshold}` are filled in. */
    title: shortText(200).optional(),
  })
  .strict()
  .superRefine((t, ctx) => {
    if (t.clear === undefined) return;
    const ok = t.op === '>' || t.op === '>=' ? t.clear <= t.value : t.clear >= t.value;
    if (!ok) ctx.addIssue({ code: 'custom', path: ['clear'], message: `clear must be on the normal side of value for op ${t.op}` });
  });

const kindSchema = z
  .object({
    /** Appended to the metric name: `<metric>.<name>` (e.g. sensor.temperature). */
    name: z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,62}$/, 'kind name: a letter then letters, digits or _'),
    unit: unitSchema.optional(),
    /** Extra constant factor for this kind (after every other scaling). */
    multiplier: z.number().finite().optional(),
    /** Thresholds for this kind only (the metric's own `thresholds` apply to every kind). */
    thresholds: z.array(thresholdSchema).max(8).optional(),
  })
  .strict();

const statesSchema = z.record(enumKey, shortText(64)).refine((m) => Object.keys(m).length <= 64, 'at most 64 states');

const valueMaths = {
  unit: unitSchema.optional(),
  /** Constant factor (e.g. 0.01 for hundredths, 8 for octets -> bits). */
  multiplier: z.number().finite().refine((n) => n !== 0, 'multiplier 0 would store zeros').default(1),
  /** Store the rate per second of a counter (wraps and reboots handled like ifTable) instead of the value. */
  type: z.enum(['gauge', 'counter']).default('gauge'),
  /** Enum gauge: stored as the number, shown by name. */
  states: statesSchema.optional(),
  thresholds: z.array(thresholdSchema).max(8).optional(),
};

export const tableMetricSchema = z
  .object({
    name: metricNameSchema,
    /** The column holding the value. */
    column: columnSchema,
    ...valueMaths,
    /** Multiply by this column's value (e.g. hrStorageAllocationUnits). */
    multiplierColumn: columnRefSchema.optional(),
    /** Divide by this column's value (e.g. hrStorageSize for a used fraction); rows where it is 0 are skipped. */
    divisorColumn: columnRefSchema.optional(),
    /** ENTITY-SENSOR-MIB SensorDataScale column: 1 yocto ... 8 milli, 9 units, 10 kilo ... 17 yotta. */
    scaleColumn: columnSchema.optional(),
    /** Decimal digits column (entPhySensorPrecision): value / 10^precision. */
    precisionColumn: columnSchema.optional(),
    /** Per-row metric name and unit from an enum column (entPhySensorType); rows whose kind is not in the map are skipped. */
    kindColumn: z
      .object({
        column: columnSchema,
        map: z.record(enumKey, kindSchema).refine((m) => Object.keys(m).length <= 64, 'at most 64 kinds'),
      })
      .strict()
      .optional(),
  })
  .strict();

const filterSchema = z
  .object({
    column: columnSchema,
    /** Keep only rows whose value (as text) is one of these. */
    in: z.array(z.union([z.number().finite(), shortText(256)])).max(64).optional(),
    /** Skip rows whose value (as text) is one of these. */
    notIn: z.array(z.union([z.number().finite(), shortText(256)])).max(64).optional(),
    /** Keep only rows whose value matches this RE2 regex (case-insensitive). */
    match: z.string().min(1).max(1000).optional(),
  })
  .strict()
  .refine((f) => f.in !== undefined || f.notIn !== undefined || f.match !== undefined, 'a filter needs in, notIn or match');

const inventoryColumnsSchema = z
  .object({
    class: z
      .union([
        columnSchema,
        z
          .object({
            column: columnSchema,
            map: z
              .record(
                enumKey,
                z.enum(['other', 'unknown', 'chassis', 'backplane', 'container', 'powerSupply', 'fan', 'sensor', 'module', 'port', 'stack', 'cpu', 'energyObject', 'battery', 'storageDrive']),
              )
              .optional(),
          })
          .strict(),
        z.enum(['other', 'unknown', 'chassis', 'backplane', 'container', 'powerSupply', 'fan', 'sensor', 'module', 'port', 'stack', 'cpu', 'energyObject', 'battery', 'storageDrive']),
      ])
      .optional(),
    name: columnRefSchema.optional(),
    descr: columnRefSchema.optional(),
    parentIndex: columnSchema.optional(),
    serial: columnRefSchema.optional(),
    model: columnRefSchema.optional(),
    hardwareRev: columnRefSchema.optional(),
    firmwareRev: columnRefSchema.optional(),
    softwareRev: columnRefSchema.optional(),
    manufacturer: columnRefSchema.optional(),
    /** TruthValue column: 1 true, 2 false. */
    fru: columnSchema.optional(),
  })
  .strict();

export const tableSchema = z
  .object({
    /** Shown in the console (e.g. the MIB table name, entPhySensorTable). */
    name: shortText(128),
    /** The table's Entry OID: columns are entry.N, the instance index is the rest of the OID. */
    entry: oidSchema,
    /** Instance label (default: the index); falls back to the index when the value is missing or empty. */
    label: columnRefSchema.optional(),
    /** Row filters (all must pass). */
    filter: z.union([filterSchema, z.array(filterSchema).max(8)]).optional(),
    metrics: z.array(tableMetricSchema).max(64).default([]),
    inventory: inventoryColumnsSchema.optional(),
  })
  .strict()
  .refine((t) => t.metrics.length > 0 || t.inventory !== undefined, 'a table needs metrics or inventory columns');

export const scalarSchema = z
  .object({
    name: metricNameSchema,
    /** The full OID with its instance (e.g. 1.3.6.1.4.1.12356.101.4.1.3.0). */
    oid: oidSchema,
    ...valueMaths,
  })
  .strict();

export const appliesSchema = z
  .object({
    /** sysObjectID starts with one of these. */
    sysObjectIdPrefix: z.array(oidPrefixSchema).min(1).max(64).optional(),
    /** Vendor (from the sysObjectID enterprise number, server/collectors/snmp/vendors.ts), case-insensitive, one of. */
    vendor: z.array(shortText(64)).min(1).max(64).optional(),
    /** RE2 regex on sysDescr, case-insensitive. */
    sysDescr: z.string().min(1).max(1000).optional(),
    /** The agent has a row in this table (a GETNEXT on the OID stays inside it); several = any of them. */
    hasTable: z.union([oidSchema, z.array(oidSchema).min(1).max(16)]).optional(),
  })
  .strict();

export const templateBodySchema = z
  .object({
    id: templateIdSchema,
    name: shortText(128),
    description: z.string().max(2000).optional(),
    /** All given conditions must hold; a list inside one is OR. Empty: every SNMP device. */
    applies: appliesSchema.default({}),
    /** Instances are rediscovered this often (minutes) and when the device rebooted. */
    rediscoverMinutes: z.number().int().min(1).max(10080).default(360),
    tables: z.array(tableSchema).max(32).default([]),
    scalars: z.array(scalarSchema).max(128).default([]),
  })
  .strict()
  .refine((t) => t.tables.length > 0 || t.scalars.length > 0, 'a template needs tables or scalars');

/** A template as written (input to the parser: defaults not applied yet). */
export type TemplateInput = z.input<typeof templateBodySchema>;
/** A validated template (defaults applied, OIDs without leading dot). */
export type TemplateBody = z.output<typeof templateBodySchema>;
export type TemplateTable = TemplateBody['tables'][number];
export type TemplateTableMetric = TemplateTable['metrics'][number];
export type TemplateScalar = TemplateBody['scalars'][number];
export type TemplateThreshold = z.output<typeof thresholdSchema>;
export type TemplateApplies = TemplateBody['applies'];
export type ColumnRef = z.output<typeof columnRefSchema>;
export type TemplateLookup = z.output<typeof lookupSchema>;

/** Where a template comes from: a file in `templates/` (read-only) or the database (API/console, generated by "Poll this table"). */
export type TemplateSource = 'file' | 'custom';

/** Largest template body accepted (bytes of YAML/JSON text). */
export const MAX_TEMPLATE_BYTES = 256 * 1024;
