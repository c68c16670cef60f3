/**
 * `databaseUrl` / NMS_DATABASE_URL: which PostgreSQL the store runs on. The
 * URL usually carries a password, so it is never shown as given: not in a
 * config error, a log line, an API answer or a start-up error. Everything
 * that shows it goes through `redactDatabaseUrl`, and errors that may quote
 * it through `scrubDatabaseUrl`.
 */

const EXAMPLE = 'postgres://user:password@host:5432/netwatch';

/** Why `url` cannot select the PostgreSQL store, or undefined when it can. The message never quotes the value. */
export function databaseUrlProblem(url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `must be a postgres:// or postgresql:// URL such as ${EXAMPLE} (the value is not shown: it may hold a password)`;
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') {
    return `must be a postgres:// or postgresql:// URL such as ${EXAMPLE}; other databases are not supported (the value is not shown: it may hold a password)`;
  }
  if (!url.startsWith(`${u.protocol}//`)) return `must be written ${u.protocol}//… such as ${EXAMPLE}`;
  return undefined;
}

/** The URL with its password replaced by `***` (user, host, port and database stay: they say where the store is). */
export function redactDatabaseUrl(url: string): string {
  // Greedy up to the last '@': an unencoded '@' or ':' in the password is hidden too (too much hidden is safe).
  return url.replace(/^([^:/?#]+:\/\/[^:@/?#]*):.*@/s, '$1:***@');
}

/** `text` with the URL and its password (as written and decoded) replaced: for errors that quote what they were given. */
export function scrubDatabaseUrl(text: string, url: string): string {
  let out = text.split(url).join(redactDatabaseUrl(url));
  for (const secret of passwordForms(url)) out = out.split(secret).join('***');
  return out;
}

function passwordForms(url: string): string[] {
  const m = /^[^:/?#]+:\/\/[^:@/?#]*:(.*)@/s.exec(url);
  if (!m || !m[1]) return [];
  const forms = new Set([m[1]]);
  try {
    forms.add(decodeURIComponent(m[1]));
  } catch {
    // not valid percent-encoding: only the written form can appear
  }
  // A one-character password would blank every such character of a message; such a password is no secret anyway.
  return [...forms].filter((f) => f.length >= 2).sort((a, b) => b.length - a.length);
}
