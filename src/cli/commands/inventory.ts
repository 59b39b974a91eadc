// `cronline devices|pools|services list|view|add|edit|delete`. add and edit take flags, or the
// object's fields from a file (-f) as export writes them, flags over the file's.
import type { Command } from "commander";
import type {
  CliDeviceFieldsFragment,
  CliPoolFieldsFragment,
  CliServiceFieldsFragment,
  CreatePoolInput,
  CreateServiceInput,
  ServiceKind,
} from "../../generated/graphql/graphql.js";
import { unwrapResult } from "../client.js";
import { clientAction, clientCommand, collect, integer } from "../command-context.js";
import { jsonObjectOption, lookupNames, objectFields } from "../object-input.js";
import {
  CliCreateDevice,
  CliCreatePool,
  CliCreateService,
  CliDeleteDevice,
  CliDeletePool,
  CliDeleteService,
  CliDevicesPage,
  CliPoolsPage,
  CliServicesPage,
  CliUpdateDevice,
  CliUpdatePool,
  CliUpdateService,
} from "../operations/inventory.js";
import { formatInstant, formatJsonValue, formatList, printFields, printJson, printLine, printTable } from "../output.js";
import { readAll } from "../paging.js";
import { findDevice, findPool, findService } from "../references.js";
import { deviceInput, poolInput, serviceInput } from "../schedules-as-code/inputs.js";

interface ListOptions {
  tag?: string;
  name?: string;
  limit?: number;
}

const listFilter = (options: ListOptions) => ({
  ...(options.tag !== undefined && { tag: options.tag }),
  ...(options.name !== undefined && { nameContains: options.name }),
});

function listCommand(parent: Command, what: string): Command {
  return clientCommand(parent, "list", `list ${what}, by name`)
    .option("--tag <tag>", "only those carrying the tag")
    .option("--name <text>", "only those whose name contains the text (ignoring case)")
    .option("--limit <count>", "at most so many", integer);
}

const fileOption = (command: Command) => command.option("-f, --file <file>", "the fields from a YAML or JSON file (as in export); flags override them");

/** The schedules-as-code file's checks, loaded only by the commands that read objects. */
const document = () => import("../schedules-as-code/document.js");

// Devices

interface DeviceFlags {
  file?: string;
  name?: string;
  address?: string;
  description?: string;
  tag?: string[];
  properties?: string;
}

const deviceFields = (flags: DeviceFlags, name: string | undefined) =>
  objectFields(flags.file, {
    name,
    address: flags.address,
    description: flags.description,
    tags: flags.tag,
    properties: jsonObjectOption("--properties", flags.properties),
  });

const deviceFlags = (command: Command) =>
  fileOption(command)
    .option("--address <address>", "hostname or IP address")
    .option("--description <text>", "what the device is")
    .option("--tag <tag>", "a tag (repeat, or comma-separated); replaces the tags", collect)
    .option("--properties <json>", "properties, a JSON object (templates read them as {{device.properties.<key>}})");

function printDevice(device: CliDeviceFieldsFragment): void {
  printFields([
    ["name", device.name],
    ["id", device.id],
    ["address", device.address],
    ["description", device.description],
    ["tags", formatList(device.tags)],
    ["properties", formatJsonValue(device.properties)],
    ["created", formatInstant(device.createdAt)],
    ["updated", formatInstant(device.updatedAt)],
  ]);
}

function registerDeviceCommands(program: Command): void {
  const devices = program.command("devices").description("list, view, add, edit and delete devices");
  listCommand(devices, "devices").action(
    clientAction(async ({ client, json }, options: ListOptions) => {
      const list = await readAll((first, after) => client.request(CliDevicesPage, { first, after, filter: listFilter(options) }).then((data) => data.devices), options.limit);
      if (json) return printJson(list);
      printTable(["NAME", "ADDRESS", "TAGS", "DESCRIPTION"], list.map((device) => [device.name, device.address, formatList(device.tags), device.description]));
    }),
  );
  clientCommand(devices, "view <device>", "a device (name or id)").action(
    clientAction(async ({ client, json }, reference: string) => {
      const device = await findDevice(client, reference);
      if (json) printJson(device);
      else printDevice(device);
    }),
  );
  deviceFlags(clientCommand(devices, "add [name]", "add a device")).action(
    clientAction(async ({ client, json }, name: string | undefined, flags: DeviceFlags) => {
      const spec = (await document()).parseSpecFile("device", await deviceFields(flags, name), "the device");
      const { device } = unwrapResult((await client.request(CliCreateDevice, { input: spec })).createDevice);
      if (json) printJson(device);
      else printLine(`created device ${device.name} (${device.id})`);
    }),
  );
  deviceFlags(clientCommand(devices, "edit <device>", "change a device's fields (name or id)"))
    .option("--name <name>", "rename it")
    .action(
      clientAction(async ({ client, json }, reference: string, flags: DeviceFlags) => {
        const current = await findDevice(client, reference);
        const changes = (await document()).parsePartialSpec("device", await deviceFields(flags, flags.name), "the changes");
        const { device } = unwrapResult((await client.request(CliUpdateDevice, { input: { id: current.id, ...deviceInput(changes) } })).updateDevice);
        if (json) printJson(device);
        else printLine(`updated device ${device.name}`);
      }),
    );
  clientCommand(devices, "delete <device>", "delete a device (name or id) no pool or service uses").action(
    clientAction(async ({ client, json }, reference: string) => {
      const device = await findDevice(client, reference);
      const { deletedId } = unwrapResult((await client.request(CliDeleteDevice, { input: { id: device.id } })).deleteDevice);
      if (json) printJson({ deletedId, name: device.name });
      else printLine(`deleted device ${device.name}`);
    }),
  );
}

// Pools

interface PoolFlags {
  file?: string;
  name?: string;
  description?: string;
  tag?: string[];
  device?: string[];
  ruleTag?: string[];
  ruleMatch?: string;
  ruleProperties?: string;
  rule?: boolean;
}

function poolFields(flags: PoolFlags, name: string | undefined) {
  const ruleGiven = flags.ruleTag !== undefined || flags.ruleMatch !== undefined || flags.ruleProperties !== undefined;
  const rule = ruleGiven
    ? { tags: flags.ruleTag, tagMatch: flags.ruleMatch?.toUpperCase(), properties: jsonObjectOption("--rule-properties", flags.ruleProperties) }
    : flags.rule === false
      ? null
      : undefined;
  return objectFields(flags.file, {
    name,
    description: flags.description,
    tags: flags.tag,
    members: flags.device,
    rule: rule && Object.fromEntries(Object.entries(rule).filter(([, value]) => value !== undefined)),
  });
}

const poolFlags = (command: Command) =>
  fileOption(command)
    .option("--description <text>", "what the pool is")
    .option("--tag <tag>", "a tag of the pool (repeat, or comma-separated); replaces the tags", collect)
    .option("--device <device>", "a static member, name or id (repeat); replaces the members", collect)
    .option("--rule-tag <tag>", "rule: devices carrying the tag (repeat)", collect)
    .option("--rule-match <match>", "rule: ALL of the tags (default) or ANY")
    .option("--rule-properties <json>", "rule: devices with these property values, a JSON object");

function printPool(pool: CliPoolFieldsFragment): void {
  const rule = pool.rule ? `${pool.rule.tagMatch} of [${formatList(pool.rule.tags)}]${Object.keys(pool.rule.properties).length > 0 ? `, properties ${formatJsonValue(pool.rule.properties)}` : ""}` : "none";
  printFields([
    ["name", pool.name],
    ["id", pool.id],
    ["description", pool.description],
    ["tags", formatList(pool.tags)],
    ["members", formatList(pool.members.map((device) => device.name))],
    ["rule", rule],
    ["devices", formatList(pool.devices.map((device) => device.name))],
    ["created", formatInstant(pool.createdAt)],
    ["updated", formatInstant(pool.updatedAt)],
  ]);
}

function registerPoolCommands(program: Command): void {
  const pools = program.command("pools").description("list, view, add, edit and delete pools of devices");
  listCommand(pools, "pools").action(
    clientAction(async ({ client, json }, options: ListOptions) => {
      const list = await readAll((first, after) => client.request(CliPoolsPage, { first, after, filter: listFilter(options) }).then((data) => data.pools), options.limit);
      if (json) return printJson(list);
      printTable(
        ["NAME", "DEVICES", "MEMBERS", "RULE", "TAGS"],
        list.map((pool) => [pool.name, String(pool.devices.length), formatList(pool.members.map((device) => device.name)), pool.rule ? "yes" : "", formatList(pool.tags)]),
      );
    }),
  );
  clientCommand(pools, "view <pool>", "a pool (name or id) and the devices it holds now").action(
    clientAction(async ({ client, json }, reference: string) => {
      const pool = await findPool(client, reference);
      if (json) printJson(pool);
      else printPool(pool);
    }),
  );
  poolFlags(clientCommand(pools, "add [name]", "add a pool: static members and/or a rule")).action(
    clientAction(async ({ client, json }, name: string | undefined, flags: PoolFlags) => {
      const spec = (await document()).parseSpecFile("pool", await poolFields(flags, name), "the pool");
      // A whole spec gives every field createPool requires.
      const input = (await poolInput(spec, lookupNames(client))) as CreatePoolInput;
      const { pool } = unwrapResult((await client.request(CliCreatePool, { input })).createPool);
      if (json) printJson(pool);
      else printLine(`created pool ${pool.name} (${pool.id}) of ${pool.devices.length} devices`);
    }),
  );
  poolFlags(clientCommand(pools, "edit <pool>", "change a pool's fields (name or id)"))
    .option("--name <name>", "rename it")
    .option("--no-rule", "remove its rule")
    .action(
      clientAction(async ({ client, json }, reference: string, flags: PoolFlags) => {
        const current = await findPool(client, reference);
        const changes = (await document()).parsePartialSpec("pool", await poolFields(flags, flags.name), "the changes");
        const { pool } = unwrapResult((await client.request(CliUpdatePool, { input: { id: current.id, ...(await poolInput(changes, lookupNames(client))) } })).updatePool);
        if (json) printJson(pool);
        else printLine(`updated pool ${pool.name}, now of ${pool.devices.length} devices`);
      }),
    );
  clientCommand(pools, "delete <pool>", "delete a pool (name or id) no service or task uses").action(
    clientAction(async ({ client, json }, reference: string) => {
      const pool = await findPool(client, reference);
      const { deletedId } = unwrapResult((await client.request(CliDeletePool, { input: { id: pool.id } })).deletePool);
      if (json) printJson({ deletedId, name: pool.name });
      else printLine(`deleted pool ${pool.name}`);
    }),
  );
}

// Services

interface ServiceFlags {
  file?: string;
  name?: string;
  kind?: string;
  config?: string;
  command?: string;
  httpUrl?: string;
  description?: string;
  tag?: string[];
  device?: string[];
  pool?: string[];
  payload?: string;
  requiresConfirmation?: boolean;
  concurrency?: number;
}

function serviceFields(flags: ServiceFlags, name: string | undefined) {
  const config = jsonObjectOption("--config", flags.config);
  const shortcut = flags.command !== undefined ? { kind: "COMMAND", config: { ...config, command: flags.command } } : flags.httpUrl !== undefined ? { kind: "HTTP", config: { ...config, url: flags.httpUrl } } : {};
  return objectFields(flags.file, {
    name,
    kind: flags.kind?.toUpperCase(),
    config,
    ...shortcut,
    description: flags.description,
    tags: flags.tag,
    targetDevices: flags.device,
    targetPools: flags.pool,
    defaultPayload: jsonObjectOption("--payload", flags.payload),
    requiresConfirmation: flags.requiresConfirmation,
    concurrency: flags.concurrency,
  });
}

const serviceFlags = (command: Command) =>
  fileOption(command)
    .option("--kind <kind>", "COMMAND or HTTP")
    .option("--config <json>", "the kind's config, a JSON object (see the README's Execution section)")
    .option("--command <command>", "a COMMAND service's command line (sets --kind COMMAND)")
    .option("--http-url <url>", "an HTTP service's URL (sets --kind HTTP; --url names the Cronline server)")
    .option("--description <text>", "what the service does")
    .option("--tag <tag>", "a tag (repeat, or comma-separated); replaces the tags", collect)
    .option("--device <device>", "a default target device, name or id (repeat)", collect)
    .option("--pool <pool>", "a default target pool, name or id (repeat)", collect)
    .option("--payload <json>", "the default payload, a JSON object")
    .option("--requires-confirmation", "manual runs of its tasks need --confirm")
    .option("--no-requires-confirmation", "manual runs need no confirmation")
    .option("--concurrency <count>", "targets at a time (1 to 1000)", integer);

function printService(service: CliServiceFieldsFragment): void {
  printFields([
    ["name", service.name],
    ["id", service.id],
    ["kind", service.kind],
    // Only ADMIN tokens are shown a service's config.
    ["config", service.config == null ? "(hidden)" : formatJsonValue(service.config)],
    ["description", service.description],
    ["tags", formatList(service.tags)],
    ["targets", formatList([...service.targetDevices.map((d) => `device ${d.name}`), ...service.targetPools.map((p) => `pool ${p.name}`)]) || "(none: runs once)"],
    ["default payload", formatJsonValue(service.defaultPayload)],
    ["requires confirmation", String(service.requiresConfirmation)],
    ["concurrency", String(service.concurrency)],
    ["created", `${formatInstant(service.createdAt)} by ${service.createdBy ?? "-"}`],
    ["updated", `${formatInstant(service.updatedAt)} by ${service.updatedBy ?? "-"}`],
  ]);
}

function registerServiceCommands(program: Command): void {
  const services = program.command("services").description("list, view, add, edit and delete services");
  listCommand(services, "services")
    .option("--kind <kind>", "only those of the kind: COMMAND or HTTP")
    .action(
      clientAction(async ({ client, json }, options: ListOptions & { kind?: string }) => {
        const filter = { ...listFilter(options), ...(options.kind !== undefined && { kind: options.kind.toUpperCase() as ServiceKind }) };
        const list = await readAll((first, after) => client.request(CliServicesPage, { first, after, filter }).then((data) => data.services), options.limit);
        if (json) return printJson(list);
        printTable(
          ["NAME", "KIND", "TARGETS", "TAGS", "CONCURRENCY"],
          list.map((service) => [
            service.name,
            service.kind,
            formatList([...service.targetDevices, ...service.targetPools].map((target) => target.name)),
            formatList(service.tags),
            String(service.concurrency),
          ]),
        );
      }),
    );
  clientCommand(services, "view <service>", "a service (name or id)").action(
    clientAction(async ({ client, json }, reference: string) => {
      const service = await findService(client, reference);
      if (json) printJson(service);
      else printService(service);
    }),
  );
  serviceFlags(clientCommand(services, "add [name]", "add a service: a COMMAND (--command) or an HTTP call (--http-url)")).action(
    clientAction(async ({ client, json }, name: string | undefined, flags: ServiceFlags) => {
      const spec = (await document()).parseSpecFile("service", await serviceFields(flags, name), "the service");
      // A whole spec gives every field createService requires.
      const input = (await serviceInput(spec, lookupNames(client))) as CreateServiceInput;
      const { service } = unwrapResult((await client.request(CliCreateService, { input })).createService);
      if (json) printJson(service);
      else printLine(`created service ${service.name} (${service.id})`);
    }),
  );
  serviceFlags(clientCommand(services, "edit <service>", "change a service's fields (name or id); a new config replaces the old"))
    .option("--name <name>", "rename it")
    .action(
      clientAction(async ({ client, json }, reference: string, flags: ServiceFlags) => {
        const current = await findService(client, reference);
        const changes = (await document()).parsePartialSpec("service", await serviceFields(flags, flags.name), "the changes");
        const { service } = unwrapResult((await client.request(CliUpdateService, { input: { id: current.id, ...(await serviceInput(changes, lookupNames(client))) } })).updateService);
        if (json) printJson(service);
        else printLine(`updated service ${service.name}`);
      }),
    );
  clientCommand(services, "delete <service>", "delete a service (name or id) no task uses").action(
    clientAction(async ({ client, json }, reference: string) => {
      const service = await findService(client, reference);
      const { deletedId } = unwrapResult((await client.request(CliDeleteService, { input: { id: service.id } })).deleteService);
      if (json) printJson({ deletedId, name: service.name });
      else printLine(`deleted service ${service.name}`);
    }),
  );
}

export function registerInventoryCommands(program: Command): void {
  registerDeviceCommands(program);
  registerPoolCommands(program);
  registerServiceCommands(program);
}
