import { describe, expect, it } from "vitest";
import { parseCommandTemplate, parseTemplate, renderTemplate, TemplateError, type TemplateContext } from "../../src/execution/templates.js";

const context: TemplateContext = {
  device: { name: "edge-1", address: "10.0.0.1", properties: { rack: "r; rm -rf /", port: 8080 } },
  payload: { mode: "full", level: 3, nested: { a: 1 } },
  task: { name: "backup" },
  run: { id: "run-1" },
  scheduledFor: new Date("2026-01-01T00:00:00.000Z"),
};

const renderCommand = (line: string, ctx = context) => parseCommandTemplate(line).map((word) => renderTemplate(word, ctx));

describe("templates", () => {
  it("render every known placeholder", () => {
    const template = parseTemplate(
      "{{device.name}} {{ device.address }} {{device.properties.port}} {{payload.mode}} {{payload.level}} {{payload.nested}} {{task.name}} {{run.id}} {{scheduledFor}}",
    );
    expect(renderTemplate(template, context)).toBe('edge-1 10.0.0.1 8080 full 3 {"a":1} backup run-1 2026-01-01T00:00:00.000Z');
  });

  it("refuse unknown placeholders and unclosed braces when parsed", () => {
    expect(() => parseTemplate("{{device.nmae}}")).toThrow(/unknown placeholder \{\{device.nmae\}\}/);
    expect(() => parseTemplate("{{payload}}")).toThrow(TemplateError);
    expect(() => parseTemplate("a {{payload.x")).toThrow(/not closed/);
    expect(parseTemplate('{"a":{"b":1}}')).toEqual(['{"a":{"b":1}}']);
  });

  it("report a missing payload key, device property or device at render time", () => {
    expect(() => renderTemplate(parseTemplate("{{payload.missing}}"), context)).toThrow(/payload has no key "missing"/);
    expect(() => renderTemplate(parseTemplate("{{device.properties.os}}"), context)).toThrow(/device "edge-1" has no property "os"/);
    expect(() => renderTemplate(parseTemplate("{{device.name}}"), { ...context, device: null })).toThrow(/no target device/);
  });
});

describe("command templates", () => {
  it("split like a shell but keep substituted values as one argument each", () => {
    expect(renderCommand(`echo "a b" c\\ d '{{device.properties.rack}}' {{device.properties.rack}} '; rm -rf /'`)).toEqual([
      "echo",
      "a b",
      "c d",
      "r; rm -rf /",
      "r; rm -rf /",
      "; rm -rf /",
    ]);
  });

  it("keep $VARIABLES and globs literal", () => {
    expect(renderCommand("ls $HOME *.txt")).toEqual(["ls", "$HOME", "*.txt"]);
  });

  it("refuse shell operators, comments, unbalanced quotes and a placeholder as the program", () => {
    expect(() => parseCommandTemplate("echo a; rm -rf /")).toThrow(/shell operator ";"/);
    expect(() => parseCommandTemplate("echo a | wc")).toThrow(/shell operator "\|"/);
    expect(() => parseCommandTemplate("echo a > /tmp/x")).toThrow(/shell operator ">"/);
    expect(() => parseCommandTemplate("echo a # note")).toThrow(/comment/);
    expect(() => parseCommandTemplate("echo 'a")).toThrow(/unterminated single quote/);
    expect(() => parseCommandTemplate("{{payload.program}} x")).toThrow(/program/);
    expect(() => parseCommandTemplate("   ")).toThrow(/no program/);
  });
});
