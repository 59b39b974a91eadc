// Which uid/gid a command runs as when its service sets `runAs`: only when the server runs
// as root, and only for users an administrator put on RUN_AS_ALLOWED_USERS.
import { readFile } from "node:fs/promises";

export interface RunAsIdentity {
  uid: number;
  gid: number;
  home: string;
}

/** Fields of the colon-separated line of a passwd/group file whose first field is `name`. */
async function lookup(file: string, name: string): Promise<string[] | null> {
  const text = await readFile(file, "utf8").catch(() => "");
  const line = text.split("\n").find((l) => l.split(":")[0] === name);
  return line ? line.split(":") : null;
}

/** The identity to run as, or the reason it may not be used. */
export async function resolveRunAs(runAs: { user: string; group?: string | undefined }, allowedUsers: readonly string[]): Promise<RunAsIdentity | string> {
  if (!allowedUsers.includes(runAs.user)) return `user "${runAs.user}" is not on RUN_AS_ALLOWED_USERS`;
  if (process.getuid?.() !== 0) return `running as "${runAs.user}" needs the server to run as root`;
  const user = await lookup("/etc/passwd", runAs.user);
  if (!user) return `no user "${runAs.user}" on this machine`;
  let gid = Number(user[3]);
  if (runAs.group !== undefined) {
    const group = await lookup("/etc/group", runAs.group);
    if (!group) return `no group "${runAs.group}" on this machine`;
    gid = Number(group[2]);
  }
  return { uid: Number(user[2]), gid, home: user[5] ?? "/" };
}
