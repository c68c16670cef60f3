import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * A vendor-style MIB bundle written by the tests (module texts authored here from the public OIDs,
 * not copied from any vendor file): an enterprise root under enterprises.9, a TC module, a
 * CISCO-SYSLOG-MIB-like module whose `clogMessageGenerated` notification is
 * 1.3.6.1.4.1.9.9.41.2.0.1 with the clogHistory columns as varbinds, one module that does not parse,
 * one that imports a module nobody ships, a duplicate, a README and a binary file, in nested folders.
 */

export const LAB_SMI = `LAB-CISCO-SMI DEFINITIONS ::= BEGIN
IMPORTS
    MODULE-IDENTITY, OBJECT-IDENTITY, enterprises FROM SNMPv2-SMI;

labCiscoSmi MODULE-IDENTITY
    LAST-UPDATED "202612070000Z"
    ORGANIZATION "Netwatch tests"
    CONTACT-INFO "none"
    DESCRIPTION  "Enterprise root used by the MIB bundle tests."
    ::= { labCisco 12 }

labCisco OBJECT-IDENTITY
    STATUS      current
    DESCRIPTION "Enterprise 9 as the tests name it."
    ::= { enterprises 9 }

labCiscoMgmt OBJECT IDENTIFIER ::= { labCisco 9 }
END
`;

export const LAB_TC = `LAB-CISCO-TC DEFINITIONS ::= BEGIN
IMPORTS
    TEXTUAL-CONVENTION FROM SNMPv2-TC;

LabSyslogSeverity ::= TEXTUAL-CONVENTION
    STATUS      current
    DESCRIPTION "Severity of a logged message."
    SYNTAX      INTEGER { emergency(1), alert(2), critical(3), error(4), warning(5), notice(6), info(7), debug(8) }
END
`;

export const LAB_SYSLOG = `LAB-CISCO-SYSLOG-MIB DEFINITIONS ::= BEGIN
IMPORTS
    MODULE-IDENTITY, OBJECT-TYPE, NOTIFICATION-TYPE, Integer32 FROM SNMPv2-SMI
    TimeStamp                                                  FROM SNMPv2-TC
    SnmpAdminString                                            FROM SNMP-FRAMEWORK-MIB
    labCiscoMgmt                                               FROM LAB-CISCO-SMI
    LabSyslogSeverity                                          FROM LAB-CISCO-TC;

labSyslogMIB MODULE-IDENTITY
    LAST-UPDATED "202612070000Z"
    ORGANIZATION "Netwatch tests"
    CONTACT-INFO "none"
    DESCRIPTION  "Syslog messages sent as notifications, shaped like a router's syslog MIB."
    ::= { labCiscoMgmt 41 }

clogMIBObjects OBJECT IDENTIFIER ::= { labSyslogMIB 1 }
clogHistory    OBJECT IDENTIFIER ::= { clogMIBObjects 2 }

clogHistoryTable OBJECT-TYPE
    SYNTAX      SEQUENCE OF ClogHistoryEntry
    MAX-ACCESS  not-accessible
    STATUS      current
    DESCRIPTION "Recently generated syslog messages."
    ::= { clogHistory 3 }

clogHistoryEntry OBJECT-TYPE
    SYNTAX      ClogHistoryEntry
    MAX-ACCESS  not-accessible
    STATUS      current
    DESCRIPTION "One syslog message."
    INDEX       { clogHistIndex }
    ::= { clogHistoryTable 1 }

ClogHistoryEntry ::= SEQUENCE {
    clogHistIndex     Integer32,
    clogHistFacility  SnmpAdminString,
    clogHistSeverity  LabSyslogSeverity,
    clogHistMsgName   SnmpAdminString,
    clogHistMsgText   SnmpAdminString,
    clogHistTimestamp TimeStamp
}

clogHistIndex OBJECT-TYPE
    SYNTAX      Integer32 (1..2147483647)
    MAX-ACCESS  not-accessible
    STATUS      current
    DESCRIPTION "Message number."
    ::= { clogHistoryEntry 1 }

clogHistFacility OBJECT-TYPE
    SYNTAX      SnmpAdminString (SIZE (0..20))
    MAX-ACCESS  read-only
    STATUS      current
    DESCRIPTION "Facility that generated the message."
    ::= { clogHistoryEntry 2 }

clogHistSeverity OBJECT-TYPE
    SYNTAX      LabSyslogSeverity
    MAX-ACCESS  read-only
    STATUS      current
    DESCRIPTION "Severity of the message."
    ::= { clogHistoryEntry 3 }

clogHistMsgName OBJECT-TYPE
    SYNTAX      SnmpAdminString (SIZE (0..30))
    MAX-ACCESS  read-only
    STATUS      current
    DESCRIPTION "Mnemonic of the message."
    ::= { clogHistoryEntry 4 }

clogHistMsgText OBJECT-TYPE
    SYNTAX      SnmpAdminString (SIZE (0..255))
    MAX-ACCESS  read-only
    STATUS      current
    DESCRIPTION "Text of the message."
    ::= { clogHistoryEntry 5 }

clogHistTimestamp OBJECT-TYPE
    SYNTAX      TimeStamp
    MAX-ACCESS  read-only
    STATUS      current
    DESCRIPTION "sysUpTime when the message was generated."
    ::= { clogHistoryEntry 6 }

clogMIBNotificationPrefix OBJECT IDENTIFIER ::= { labSyslogMIB 2 }
clogMIBNotifications      OBJECT IDENTIFIER ::= { clogMIBNotificationPrefix 0 }

clogMessageGenerated NOTIFICATION-TYPE
    OBJECTS     { clogHistFacility, clogHistSeverity, clogHistMsgName, clogHistMsgText, clogHistTimestamp }
    STATUS      current
    DESCRIPTION "A syslog message was generated."
    ::= { clogMIBNotifications 1 }
END
`;

export const LAB_BROKEN = `LAB-BROKEN-MIB DEFINITIONS ::= BEGIN
IMPORTS
    OBJECT-TYPE FROM SNMPv2-SMI;

labBroken OBJECT-TYPE
    SYNTAX      INTEGER {
    MAX-ACCESS  read-only
    ::= { labBrokenRoot
END
`;

export const LAB_ORPHAN = `LAB-ORPHAN-MIB DEFINITIONS ::= BEGIN
IMPORTS
    OBJECT-TYPE, Integer32 FROM SNMPv2-SMI
    labNotShipped          FROM LAB-NOT-SHIPPED-MIB;

labOrphanValue OBJECT-TYPE
    SYNTAX      Integer32
    MAX-ACCESS  read-only
    STATUS      current
    DESCRIPTION "Needs a module the bundle does not carry."
    ::= { labNotShipped 1 }
END
`;

/** Archive path -> content. */
export function labBundleFiles(): Map<string, string | Buffer> {
  return new Map<string, string | Buffer>([
    ['lab-mibs/README.txt', 'Lab vendor MIBs, version 1.\nLoad the SMI first.\n'],
    ['lab-mibs/logo.png', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13])],
    ['lab-mibs/v2/smi/LAB-CISCO-SMI.my', LAB_SMI],
    ['lab-mibs/v2/LAB-CISCO-TC.my', LAB_TC],
    ['lab-mibs/v2/LAB-CISCO-SYSLOG-MIB.my', LAB_SYSLOG],
    ['lab-mibs/v2/LAB-BROKEN-MIB.my', LAB_BROKEN],
    ['lab-mibs/v2/LAB-ORPHAN-MIB.txt', LAB_ORPHAN],
    ['lab-mibs/v1/LAB-CISCO-TC-V1.my', LAB_TC],
  ]);
}

/** Writes `files` under a fresh temp dir; returns it (remove with rmSync). */
export function writeTree(files: Map<string, string | Buffer>): string {
  const dir = mkdtempSync(join(tmpdir(), 'mib-bundle-src-'));
  for (const [p, content] of files) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), content);
  }
  return dir;
}

/** Packs the tree with the real `tar` (gzip when `gz`) or `zip` CLI and returns the archive's bytes. */
export function packWithCli(dir: string, kind: 'tar' | 'tar.gz' | 'zip', opts: { symlinks?: boolean } = {}): Buffer {
  const out = mkdtempSync(join(tmpdir(), 'mib-bundle-out-'));
  const file = join(out, `bundle.${kind}`);
  try {
    if (kind === 'zip') execFileSync('zip', ['-q', '-r', ...(opts.symlinks ? ['--symlinks'] : []), file, '.'], { cwd: dir });
    else execFileSync('tar', [kind === 'tar.gz' ? '-czf' : '-cf', file, '-C', dir, '.']);
    return readFileSync(file);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

export function addSymlink(dir: string, target: string, linkPath: string): void {
  mkdirSync(dirname(join(dir, linkPath)), { recursive: true });
  symlinkSync(target, join(dir, linkPath));
}
