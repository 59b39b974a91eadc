import { describe, expect, it } from "vitest";
import { isJsonMediaType, parseJsonTemplate, renderJsonTemplate } from "../../src/execution/json-template.js";
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

describe("JSON templates", () => {
  const renderJson = (text: string, ctx = context) => JSON.parse(renderJsonTemplate(parseJsonTemplate(text), ctx));
  const hostile = { ...context, payload: { name: 'x", "admin": true, "y": "', slash: "a\\", count: '1, "admin": true', nested: { a: [1, "b"] } } };

  it("escape a value inside a string, so it cannot close the string or add a key", () => {
    expect(renderJson('{"user": "{{payload.name}}", "path": "{{payload.slash}}/x", "{{payload.name}}": 1}', hostile)).toEqual({
      user: 'x", "admin": true, "y": "',
      path: "a\\/x",
      'x", "admin": true, "y": "': 1,
    });
  });

  it("insert a value outside strings as one JSON value of its own type", () => {
    expect(renderJson('{"count": {{payload.count}}, "nested": {{payload.nested}}, "level": {{payload.level}}, "run": {{run.id}}}', { ...hostile, payload: { ...hostile.payload, level: 3 } })).toEqual({
      count: '1, "admin": true',
      nested: { a: [1, "b"] },
      level: 3,
      run: "run-1",
    });
    expect(renderJson('{"text": "n={{payload.nested}}"}', hostile)).toEqual({ text: 'n={"a":[1,"b"]}' });
  });

  it("refuse a template that is not JSON whatever the values, or a placeholder after a backslash in a string", () => {
    expect(() => parseJsonTemplate('{"a": {{payload.x}}')).toThrow(/^must be JSON, with placeholders inside strings or as whole values: /);
    expect(() => parseJsonTemplate('{"a": 1{{payload.x}}}')).toThrow(TemplateError);
    expect(() => parseJsonTemplate('{"a": {{payload.x}}{{payload.y}}}')).toThrow(TemplateError);
    expect(() => parseJsonTemplate('{ {{payload.key}}: 1 }')).toThrow(TemplateError);
    expect(() => parseJsonTemplate('{"a": "\\u00{{payload.x}}"}')).toThrow(TemplateError);
    expect(() => parseJsonTemplate('["\\{{payload.x}}", "]')).toThrow("a placeholder must not follow a backslash inside a JSON string");
    expect(() => parseJsonTemplate('{"a": "\\\\{{payload.x}}"}')).not.toThrow();
  });

  it("tell an object or array from another JSON value", () => {
    expect(parseJsonTemplate(' [{{payload.level}}]').isContainer).toBe(true);
    expect(parseJsonTemplate('{"a": 1}').isContainer).toBe(true);
    expect(parseJsonTemplate('"{{payload.mode}}"').isContainer).toBe(false);
    expect(parseJsonTemplate("{{payload.nested}}").isContainer).toBe(false);
  });

  it("recognise JSON media types", () => {
    for (const type of ["application/json", "Application/JSON; charset=utf-8", "application/merge-patch+json", "application/vnd.api+json"]) expect(isJsonMediaType(type)).toBe(true);
    for (const type of ["text/plain", "application/jsonp", "application/x-www-form-urlencoded", "text/json-ish"]) expect(isJsonMediaType(type)).toBe(false);
  });
});
