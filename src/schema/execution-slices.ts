// An operation within the limits may still resolve and complete a hundred thousand fields: done
// in one go, that holds the API thread's event loop for seconds, and health checks, new
// connections and every other client wait. So resolvers take slices of the loop (see
// event-loop-slices.ts): past a slice, a resolver waits for the loop to turn before it runs.
import { defaultFieldResolver, isObjectType, type GraphQLFieldResolver, type GraphQLSchema } from "graphql";
import { runInSlice } from "../event-loop-slices.js";

function sliced<Source, Context>(resolve: GraphQLFieldResolver<Source, Context>): GraphQLFieldResolver<Source, Context> {
  // No promise while the slice has time left: most fields are read synchronously.
  return (source, args, context, info) => runInSlice(() => resolve(source, args, context, info));
}

/** The schema with every field's resolver (default ones included) taking its turn in slices. Changes `schema` in place. */
export function resolveInSlices(schema: GraphQLSchema): GraphQLSchema {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith("__")) continue;
    for (const field of Object.values(type.getFields())) {
      // A subscription field's `subscribe` makes its stream; its `resolve` maps each event, like any resolver.
      field.resolve = sliced(field.resolve ?? defaultFieldResolver);
    }
  }
  return schema;
}
