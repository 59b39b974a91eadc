// Which uid/gid a command runs as. A server running as root never lends that to a command by
// default: without `runAs` a command runs as COMMAND_DEFAULT_USER (`nobody` unless set; "root"
// is the explicit opt-in to run it as the server itself). `runAs` names a user on
// RUN_AS_ALLOWED_USERS and optionally a group on RUN_AS_ALLOWED_GROUPS; uid 0 and gid 0 are
// refused whatever the lists say. A server not running as root runs commands as itself.
import { readFile } from "node:fs/promises";
import { userInfo } from "node:os";

export interface RunAsIdentity {
  uid: number;
  gid: number;
  home: string;
}

export interface RunAsPolicy {
  runAsAllowedUsers: readonly string[];
  runAsAllowedGroups: readonly string[];
  commandDefaultUser: string | undefined;
}

/** Who runs a command without `runAs` while the server runs as root and COMMAND_DEFAULT_USER is unset. */
export const fallbackCommandUser = "nobody";

/** The files that list the machine's users and groups. */
export interface AccountFiles {
  passwd: string;
  group: string;
}

const systemAccountFiles: AccountFiles = { passwd: "/etc/passwd", group: "/etc/group" };

/** Fields of the colon-separated line of a passwd/group file whose first field is `name`. */
async function lookup(file: string, name: string): Promise<string[] | null> {
  const text = await readFile(file, "utf8").catch(() => "");
  const line = text.split("\n").find((l) => l.split(":")[0] === name);
  return line ? line.split(":") : null;
}

/** The user's uid, home and gid (its primary group, or `group`), or why it may not be used. */
async function identityOf(user: string, group: string | undefined, files: AccountFiles): Promise<RunAsIdentity | string> {
  const entry = await lookup(files.passwd, user);
  if (!entry) return `no user "${user}" on this machine`;
  const uid = Number(entry[2]);
  if (uid === 0) return `user "${user}" has uid 0 (root): commands run as root only with COMMAND_DEFAULT_USER=root`;
  let gid = Number(entry[3]);
  if (group !== undefined) {
    const groupEntry = await lookup(files.group, group);
    if (!groupEntry) return `no group "${group}" on this machine`;
    gid = Number(groupEntry[2]);
  }
  if (gid === 0) return `${group === undefined ? `the primary group of user "${user}"` : `group "${group}"`} has gid 0 (root), which is never allowed`;
  return { uid, gid, home: entry[5] ?? "/" };
}

/** The server's user name; none for a uid without a passwd entry (a container's arbitrary uid). */
function serverUserName(): string | undefined {
  try {
    return userInfo().username;
  } catch {
    return undefined;
  }
}

/**
 * The identity a command runs as: null for the server's own, or the reason it may not run.
 * Checked at every run, in case the lists or the machine's users changed since it was saved.
 */
export async function resolveRunAs(
  runAs: { user: string; group?: string | undefined } | undefined,
  policy: RunAsPolicy,
  files = systemAccountFiles,
): Promise<RunAsIdentity | null | string> {
  const serverIsRoot = process.getuid?.() === 0;
  if (runAs) {
    if (!policy.runAsAllowedUsers.includes(runAs.user)) return `user "${runAs.user}" is not on RUN_AS_ALLOWED_USERS`;
    if (runAs.group !== undefined && !policy.runAsAllowedGroups.includes(runAs.group)) return `group "${runAs.group}" is not on RUN_AS_ALLOWED_GROUPS`;
    if (!serverIsRoot) return `running as "${runAs.user}" needs the server to run as root`;
    return identityOf(runAs.user, runAs.group, files);
  }
  const user = policy.commandDefaultUser;
  if (!serverIsRoot) {
    // Unset, or the server's own user: nothing to switch. Another user cannot be had without root.
    if (user === undefined || user === serverUserName()) return null;
    return `COMMAND_DEFAULT_USER "${user}" needs the server to run as root`;
  }
  if (user === "root") return null;
  return identityOf(user ?? fallbackCommandUser, undefined, files);
}
