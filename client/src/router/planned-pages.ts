/**
 * Console pages whose features arrive with later work. Until then each shows an
 * honest "not yet available" page that says what it will hold.
 */
export interface PlannedPage {
  path: string;
  name: string;
  title: string;
  summary: string;
}

export const PLANNED_PAGES: PlannedPage[] = [
  {
    path: '/events',
    name: 'events',
    title: 'Events',
    summary: 'A live, searchable stream of syslog messages, SNMP traps and poller events.',
  },
  {
    path: '/alarms',
    name: 'alarms',
    title: 'Alarms',
    summary: 'Open problems derived from events, with acknowledgement, clearing and notes.',
  },
  {
    path: '/oid-dictionary',
    name: 'oids',
    title: 'OID Dictionary',
    summary: 'Search the loaded MIBs and translate between numeric OIDs and names.',
  },
  {
    path: '/rules',
    name: 'rules',
    title: 'Rules',
    summary: 'Rules that classify events, raise and clear alarms and send notifications.',
  },
];
