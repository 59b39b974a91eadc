import { describe, expect, it } from "vitest";
import { parseCommandTemplate, parseTemplate, renderCommand as renderWords, renderTemplate, TemplateError, type TemplateContext } from "../../src/execution/templates.js";

const context: TemplateContext = {
  device: { name: "edge-1", address: "10.0.0.1", properties: { rack: "r; rm -rf /", port: 8080 } },
  payload: { mode: "full", level: 3, nested: { a: 1 } },
  task: { name: "backup" },
  run: { id: "run-1" },
  scheduledFor: new Date("2026-01-01T00:00:00.000Z"),
};

const renderCommand = (line: string, ctx = context, allowOptionLikeValues = false) => renderWords(parseCommandTemplate(line), ctx, allowOptionLikeValues);

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

  it("keep ${...} exactly as written, quoted or not, complete or not", () => {
    expect(renderCommand(`rm -rf "\${DIR:?}/x" \${HOME}/y a\${B}c "\${A:-b c}" '\${Q}' "a\\$b" \${X`)).toEqual([
      "rm",
      "-rf",
      "${DIR:?}/x",
      "${HOME}/y",
      "a${B}c",
      "${A:-b c}",
      "${Q}",
      "a$b",
      "${X",
    ]);
  });

  it("refuse a placeholder value that begins with '-' where the program would read it as an option", () => {
    const dashed = { ...context, payload: { file: "-o/tmp/owned", empty: "" } };
    expect(() => renderCommand("sort {{payload.file}}", dashed)).toThrow(/^\{\{payload.file\}\}: its value starts with "-" and would be read as an option/);
    expect(() => renderCommand('sort "{{payload.empty}}{{payload.file}}"', dashed)).toThrow(/^\{\{payload.file\}\}: its value starts with "-"/);
    // The program's own option with a value, a value after literal text, after "--", or when the service allows it.
    expect(renderCommand("sort --output={{payload.file}} x{{payload.file}}", dashed)).toEqual(["sort", "--output=-o/tmp/owned", "x-o/tmp/owned"]);
    expect(renderCommand("sort -r -- {{payload.file}}", dashed)).toEqual(["sort", "-r", "--", "-o/tmp/owned"]);
    expect(renderCommand("sort {{payload.file}}", dashed, true)).toEqual(["sort", "-o/tmp/owned"]);
    // A "--" that a placeholder renders does not end the options.
    expect(() => renderCommand("sort {{payload.dashes}} {{payload.file}}", { ...dashed, payload: { ...dashed.payload, dashes: "--" } })).toThrow(/^\{\{payload.dashes\}\}/);
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
