import { z } from 'zod';
import { AUTH_PROTOCOLS, PRIV_PROTOCOLS } from '../contracts/dto.js';
import { toTrapUserDto, type TrapUserRecord, type TrapUserRepository } from '../store/trap-user.repository.js';
import { ConflictError, NotFoundError } from './errors.js';
import { idParam, type ApiRegistry } from './registry.js';

export interface TrapUserRoutesDeps {
  trapUsers: TrapUserRepository;
  /** Called with the full user list after every change (the running receiver takes it without a restart). */
  onChange?: (users: TrapUserRecord[]) => void;
}

/** RFC 3414 2.6: passwords shorter than 8 octets are not allowed for key localization. */
const key = z.string().min(8, 'at least 8 characters').max(256);

export const createTrapUserSchema = z
  .object({
    username: z.string().trim().min(1).max(32),
    authProtocol: z.enum(AUTH_PROTOCOLS).optional(),
    authKey: key.optional(),
    privProtocol: z.enum(PRIV_PROTOCOLS).optional(),
    privKey: key.optional(),
  })
  .strict()
  .refine((b) => !(b.privKey || b.privProtocol) || !!b.authKey, { message: 'privacy needs authentication (authKey)', path: ['privKey'] })
  .refine((b) => !b.privProtocol || !!b.privKey, { message: 'privProtocol needs privKey', path: ['privKey'] })
  .refine((b) => !b.authProtocol || !!b.authKey, { message: 'authProtocol needs authKey', path: ['authKey'] });

export function registerTrapUserRoutes(api: ApiRegistry, { trapUsers, onChange }: TrapUserRoutesDeps): void {
  const tag = 'trap-users';
  const audit = { object: 'trap-user', load: (id: number) => { const u = trapUsers.get(id); return u && toTrapUserDto(u); } };
  const changed = () => onChange?.(trapUsers.list());

  api.add(
    { method: 'get', path: '/trap-users', summary: 'List SNMPv3 users accepted on the trap receiver (keys never returned) and our engine ID for INFORMs', tag, access: 'admin', response: '{items: TrapUser[], engineId}' },
    () => ({ items: trapUsers.list().map(toTrapUserDto), engineId: trapUsers.engineId() }),
  );

  api.add(
    { method: 'post', path: '/trap-users', summary: 'Add an SNMPv3 trap user (applies to the running receiver)', tag, access: 'admin', body: createTrapUserSchema, status: 201, response: 'The user (authKeySet/privKeySet instead of keys)', audit: audit },
    ({ body }) => {
      let rec: TrapUserRecord;
      try {
        rec = trapUsers.create({
          username: body.username,
          authProtocol: body.authKey ? (body.authProtocol ?? 'sha') : null,
          authKey: body.authKey ?? null,
          privProtocol: body.privKey ? (body.privProtocol ?? 'aes') : null,
          privKey: body.privKey ?? null,
        });
      } catch (err) {
        if ((err as { code?: string })?.code === 'SQLITE_CONSTRAINT_UNIQUE') throw new ConflictError(`A trap user named "${body.username}" already exists`);
        throw err;
      }
      changed();
      return toTrapUserDto(rec);
    },
  );

  api.add({ method: 'delete', path: '/trap-users/:id', summary: 'Remove an SNMPv3 trap user (applies to the running receiver)', tag, access: 'admin', status: 204, audit: audit }, ({ params }) => {
    if (!trapUsers.delete(idParam(params))) throw new NotFoundError('No such trap user');
    changed();
  });
}
