// Who a command runs as when the server runs as root, against account files of our own making.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { resolveRunAs, type RunAsPolicy } from "../../src/execution/run-as.js";

const directory = mkdtempSync(path.join(tmpdir(), "cronline-accounts-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));
const files = { passwd: path.join(directory, "passwd"), group: path.join(directory, "group") };
writeFileSync(
  files.passwd,
  ["root:x:0:0:root:/root:/bin/bash", "toor:x:0:0:root alias:/root:/bin/sh", "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin", "wheelie:x:1001:0::/home/wheelie:/bin/sh", "backup:x:34:34:backup:/var/backups:/usr/sbin/nologin"].join("\n"),
);
writeFileSync(files.group, ["root:x:0:", "admins:x:0:", "shadow:x:42:", "backup:x:34:", "nogroup:x:65534:"].join("\n"));

const policy = (changes: Partial<RunAsPolicy> = {}): RunAsPolicy => ({
  runAsAllowedUsers: ["toor", "wheelie", "backup"],
  runAsAllowedGroups: ["admins", "backup"],
  commandDefaultUser: undefined,
  ...changes,
});

describe.skipIf(process.getuid?.() !== 0)("the identity of a command on a server running as root", () => {
  it("is nobody's without runAs, unless COMMAND_DEFAULT_USER names another user or opts in to root", async () => {
    expect(await resolveRunAs(undefined, policy(), files)).toEqual({ uid: 65534, gid: 65534, home: "/nonexistent" });
    expect(await resolveRunAs(undefined, policy({ commandDefaultUser: "backup" }), files)).toEqual({ uid: 34, gid: 34, home: "/var/backups" });
    expect(await resolveRunAs(undefined, policy({ commandDefaultUser: "root" }), files)).toBeNull();
    expect(await resolveRunAs(undefined, policy({ commandDefaultUser: "ghost" }), files)).toBe('no user "ghost" on this machine');
  });

  it("never has uid 0 or gid 0 but by that opt-in, whatever the lists say", async () => {
    expect(await resolveRunAs({ user: "toor" }, policy(), files)).toBe('user "toor" has uid 0 (root): commands run as root only with COMMAND_DEFAULT_USER=root');
    expect(await resolveRunAs(undefined, policy({ commandDefaultUser: "toor" }), files)).toMatch(/^user "toor" has uid 0/);
    expect(await resolveRunAs({ user: "wheelie" }, policy(), files)).toBe('the primary group of user "wheelie" has gid 0 (root), which is never allowed');
    expect(await resolveRunAs({ user: "backup", group: "admins" }, policy(), files)).toBe('group "admins" has gid 0 (root), which is never allowed');
  });

  it("takes a group only from RUN_AS_ALLOWED_GROUPS, and a user only from RUN_AS_ALLOWED_USERS", async () => {
    expect(await resolveRunAs({ user: "backup", group: "backup" }, policy(), files)).toEqual({ uid: 34, gid: 34, home: "/var/backups" });
    expect(await resolveRunAs({ user: "backup", group: "shadow" }, policy(), files)).toBe('group "shadow" is not on RUN_AS_ALLOWED_GROUPS');
    expect(await resolveRunAs({ user: "backup", group: "root" }, policy(), files)).toBe('group "root" is not on RUN_AS_ALLOWED_GROUPS');
    expect(await resolveRunAs({ user: "nobody" }, policy(), files)).toBe('user "nobody" is not on RUN_AS_ALLOWED_USERS');
  });
});
