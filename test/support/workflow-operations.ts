// Workflow runs as the integration tests read them: the step tree and each step's results.
import { graphql } from "../generated/graphql/index.js";

export const RunSteps = graphql(`
  query RunSteps($id: ID!) {
    run(id: $id) {
      id status reason startedAt finishedAt targetCount succeededCount failedCount
      steps { name parentName serviceName status reason startedAt finishedAt targetCount succeededCount failedCount }
      results(first: 1000) { edges { node { stepName deviceName attempt status exitCode httpStatus output error } } }
    }
  }
`);

export const WorkflowRunEvents = graphql(`
  subscription WorkflowRunEvents($taskId: ID) {
    runEvents(taskId: $taskId) {
      type
      run { id status steps { name status } }
      step { name status reason }
      result { stepName deviceName status }
    }
  }
`);

export const WorkflowScheduleView = graphql(`
  subscription WorkflowScheduleView($taskIds: [ID!]) {
    scheduleView(filter: { taskIds: $taskIds }, tickSeconds: 3600) {
      kind
      runs { id status steps { name status } }
    }
  }
`);
