import { getNullableType, isInputObjectType, isInterfaceType, isListType, isObjectType, type GraphQLArgument, type GraphQLInputField } from "graphql";
import { expect, it } from "vitest";
import { maxItemsOf } from "../../src/schema/list-limits.js";
import { schema } from "../../src/schema/index.js";

/** Every argument and input field of the schema, by its schema coordinate. */
function inputs(): { coordinate: string; definition: GraphQLArgument | GraphQLInputField }[] {
  return Object.values(schema.getTypeMap()).flatMap((type) => {
    if (type.name.startsWith("__")) return [];
    if (isObjectType(type) || isInterfaceType(type)) {
      return Object.values(type.getFields()).flatMap((field) => field.args.map((arg) => ({ coordinate: `${type.name}.${field.name}(${arg.name}:)`, definition: arg })));
    }
    if (isInputObjectType(type)) return Object.values(type.getFields()).map((field) => ({ coordinate: `${type.name}.${field.name}`, definition: field }));
    return [];
  });
}

it("gives every list argument and list input field a maximum, stated in its description", () => {
  const lists = inputs().filter(({ definition }) => isListType(getNullableType(definition.type)));
  expect(lists.map(({ coordinate }) => coordinate)).toContain("Query.nodes(ids:)");
  const undocumented = lists.filter(({ definition }) => {
    const max = maxItemsOf(definition);
    return max === undefined || !definition.description?.includes(`At most ${max} items.`);
  });
  expect(undocumented.map(({ coordinate }) => coordinate)).toEqual([]);
  expect(maxItemsOf(schema.getQueryType()!.getFields().nodes!.args[0]!)).toBe(100);
});
