import type { IntakeListener } from '../collectors/intake-listener.js';
import { createSyslogListener } from '../collectors/syslog/syslog.listener.js';
import { createTrapReceiver, type TrapReceiver } from '../collectors/trap/trap.receiver.js';
import { parseCommunities, receiverUsers } from '../collectors/trap/trap.users.js';
import type { RemoteTrapUsers } from '../remote/trap-user-watcher.js';
import { snmpEngineId } from '../bus/node-identity.js';
import type { EventIntake } from '../events/event-intake.js';
import { TrapUserRepository } from '../store/trap-user.repository.js';
import type { MibModule } from './mib.module.js';
import { Late, type AppContext, type Module } from './module.js';
import type { StoreModule } from './store.module.js';

interface Intake {
  /** In start order (stopped in reverse); `name` is the metrics component. */
  listeners: { name: 'trap' | 'syslog'; listener: IntakeListener }[];
  traps: TrapReceiver;
  /** Stops following trap-user changes. */
  unfollow: () => void;
}

export interface IntakeDeps {
  /** Absent at a collector: v3 trap users come from `remoteUsers`, engine ID kept in `<dataDir>/snmp-engine-id`. */
  store?: StoreModule;
  /** At a collector: the v3 trap users the centre gives its site (through NATS KV, keys sealed for it), followed live. */
  remoteUsers?: () => RemoteTrapUsers;
  /** Absent at a collector: no trap OID names (the centre's events show the numeric OID). */
  mib?: MibModule;
  /** Where both listeners' batches go: the events module's writer in one process (a transport to central otherwise). */
  out: () => EventIntake;
  /** Source address -> device id, or null when no device has it. Absent at a collector: the centre's writer resolves. */
  resolveDevice?: (address: string) => number | null;
}

/**
 * Syslog (UDP v4/v6, TCP with RFC 6587 framing, TLS when a certificate and key are set) and SNMP traps
 * (v1/v2c/v3; INFORMs acknowledged once stored) behind one listener interface; both hand their batches
 * to `deps.out`. With a store (`all`): v3 trap users come from it and are replaced live when the
 * trap-user API changes them (bus `trapUsers.changed`), and our engine ID is kept in it. At a collector (no store):
 * the v3 users the centre seals for it (`remoteUsers`, replaced live as the centre's change),
 * the engine ID in `<dataDir>/snmp-engine-id`, no MIB names, no device lookup (the
 * centre's writer resolves devices from the source address); `out` is the NATS transport, so an INFORM
 * is acknowledged once its event is in JetStream or the collector's spool.
 */
export function intakeModule(ctx: AppContext, deps: IntakeDeps): Module {
  const { config } = ctx;
  const intake = new Late<Intake>('intake');
  const { mib } = deps;
  const oidName = mib
    ? (oid: string) => {
        const r = mib.mibs.dictionary.resolve(oid);
        return r.node ? `${r.node.name}${r.instance ? `.${r.instance}` : ''}` : undefined;
      }
    : undefined;
  return {
    name: 'intake',
    async start() {
      const out = deps.out();
      const { resolveDevice } = deps;
      const trapUsers = deps.store ? new TrapUserRepository(deps.store.store.db, deps.store.store.secrets) : null;
      const remoteUsers = deps.remoteUsers?.();
      const traps = createTrapReceiver(
        { port: config.trapPort, host: config.trapHost.ipv4, host6: config.trapHost.ipv6, communities: parseCommunities(config.trapCommunities), queueBytes: config.trapQueueBytes,
          users: trapUsers ? receiverUsers(trapUsers.list()) : (remoteUsers?.current() ?? []), engineID: trapUsers ? trapUsers.engineId() : snmpEngineId(config.dataDir), logger: ctx.log('trap'), resolveDevice, oidName },
        out,
      );
      const unfollow = trapUsers
        ? ctx.bus.subscribe('trapUsers.changed', () => traps.setUsers(receiverUsers(trapUsers.list())))
        : (remoteUsers?.watch((users) => traps.setUsers(users)) ?? (() => undefined));
      const syslog = createSyslogListener(
        { udpPort: config.syslogPort, host: config.syslogHost.ipv4, host6: config.syslogHost.ipv6, tcpPort: config.syslogTcpPort ?? config.syslogPort, tlsPort: config.syslogTlsPort,
          tls: config.syslogTlsCert && config.syslogTlsKey ? { cert: config.syslogTlsCert, key: config.syslogTlsKey } : null,
          maxMessageBytes: config.syslogMaxBytes, timeZone: config.timeZone, receiveThread: true, receivePriority: config.syslogReceivePriority, queueBytes: config.syslogQueueBytes, logger: ctx.log('syslog') },
        (events) => out.submit(events),
      );
      const started = intake.set({ listeners: [{ name: 'trap', listener: traps }, { name: 'syslog', listener: syslog }], traps, unfollow });
      for (const { listener } of started.listeners) ctx.listeners.push(...(await listener.start()));
    },
    async stop() {
      intake.get().unfollow();
      for (const { listener } of [...intake.get().listeners].reverse()) await listener.stop();
    },
    counters() {
      return intake.get().listeners.map(({ name, listener }) => ({ name, counters: () => listener.counters() }));
    },
  };
}
