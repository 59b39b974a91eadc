// A Yoga plugin that answers an operation itself when `refusal` returns a result: the operation
// is then not executed, over HTTP and websocket alike (queries, mutations and subscriptions).
import type { ExecutionArgs, ExecutionResult } from "graphql";
import type { Plugin } from "graphql-yoga";

export function refuseBeforeExecution(refusal: (args: ExecutionArgs) => ExecutionResult | null): Plugin {
  return {
    onExecute: ({ args, setResultAndStopExecution }) => {
      const result = refusal(args);
      if (result) setResultAndStopExecution(result);
    },
    onSubscribe: ({ args, setResultAndStopExecution }) => {
      const result = refusal(args);
      if (result) setResultAndStopExecution(result);
    },
  };
}
