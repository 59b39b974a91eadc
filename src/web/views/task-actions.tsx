// What the reader may do to a task, as their role allows; nothing is shown that would be
// refused. OPERATOR: run now (confirming when the task asks for it), pause with a note,
// resume. ADMIN: also duplicate and delete.
import { useSignal } from "@preact/signals";
import { ApiError } from "../api/api-error.js";
import { DeleteTaskMutation, DuplicateTaskMutation, PauseTaskMutation, ResumeTaskMutation, RunTaskMutation } from "../api/operations.js";
import { report } from "../state/notices.js";
import { scheduleHref, taskHref } from "../state/route.js";
import { may, type Api, type Viewer } from "../state/session.js";
import type { TaskDetails, TaskView } from "../state/task-view.js";
import { Dialog } from "./dialog.js";

type OpenDialog = "pause" | "confirm-run" | "delete" | null;

export function TaskActions({ api, viewer, task, view, onRunStarted }: { api: Api; viewer: Viewer; task: TaskDetails; view: TaskView; onRunStarted: (runId: string) => void }) {
  const dialog = useSignal<OpenDialog>(null);
  const busy = useSignal(false);
  const note = useSignal("");
  if (!may(viewer, "OPERATOR")) return null;

  /** Runs the action once at a time; a typed error's message or a failed request becomes a notice. */
  const act = async (doing: string, action: () => Promise<string | null>) => {
    busy.value = true;
    try {
      const problem = await action();
      if (problem !== null) report(new ApiError(problem), doing);
    } catch (error) {
      report(error, doing);
    } finally {
      busy.value = false;
    }
  };

  const runNow = (confirm: boolean) =>
    act("run the task", async () => {
      const { runTask } = await api.request(RunTaskMutation, { id: task.id, confirm });
      if (runTask.__typename === "RunTaskSuccess") {
        view.addRun(runTask.run);
        onRunStarted(runTask.run.id);
        return null;
      }
      // Nothing ran: ask, and run with confirm: true if the reader agrees.
      if (runTask.__typename === "ConfirmationRequiredError") {
        dialog.value = "confirm-run";
        return null;
      }
      return runTask.message;
    });
  const pause = () =>
    act("pause the task", async () => {
      const { pauseTask } = await api.request(PauseTaskMutation, { id: task.id, note: note.value.trim() || null });
      return pauseTask.__typename === "PauseTaskSuccess" ? null : pauseTask.message;
    });
  const resume = () =>
    act("resume the task", async () => {
      const { resumeTask } = await api.request(ResumeTaskMutation, { id: task.id });
      return resumeTask.__typename === "ResumeTaskSuccess" ? null : resumeTask.message;
    });
  const duplicate = () =>
    act("duplicate the task", async () => {
      const { duplicateTask } = await api.request(DuplicateTaskMutation, { id: task.id });
      if (duplicateTask.__typename !== "DuplicateTaskSuccess") return duplicateTask.message;
      location.hash = taskHref(duplicateTask.task.id);
      return null;
    });
  const remove = () =>
    act("delete the task", async () => {
      const { deleteTask } = await api.request(DeleteTaskMutation, { id: task.id });
      if (deleteTask.__typename !== "DeleteTaskSuccess") return deleteTask.message;
      location.hash = scheduleHref;
      return null;
    });
  const close = () => (dialog.value = null);
  const current = dialog.value;

  return (
    <div class="actions" role="group" aria-label="Task actions">
      <button type="button" disabled={busy.value} onClick={() => runNow(false)}>
        Run now
      </button>
      {task.state === "ACTIVE" && (
        <button type="button" disabled={busy.value} onClick={() => ((note.value = ""), (dialog.value = "pause"))}>
          Pause…
        </button>
      )}
      {task.state === "PAUSED" && (
        <button type="button" disabled={busy.value} onClick={() => void resume()}>
          Resume
        </button>
      )}
      {may(viewer, "ADMIN") && (
        <>
          <button type="button" class="secondary" disabled={busy.value} onClick={() => void duplicate()}>
            Duplicate
          </button>
          <button type="button" class="danger" disabled={busy.value} onClick={() => (dialog.value = "delete")}>
            Delete…
          </button>
        </>
      )}

      <Dialog open={current === "pause"} title={`Pause ${task.name}`} onClose={close}>
        <form
          method="dialog"
          onSubmit={(event) => {
            event.preventDefault();
            close();
            void pause();
          }}
        >
          <label for="pause-note">Note (why, until when; shown with the task)</label>
          <textarea id="pause-note" rows={3} autoFocus value={note.value} onInput={(event) => (note.value = event.currentTarget.value)} />
          <div class="dialog-buttons">
            <button type="submit">Pause</button>
            <button type="button" class="secondary" onClick={close}>
              Keep it running
            </button>
          </div>
        </form>
      </Dialog>

      <Dialog open={current === "confirm-run"} title={`Run ${task.name} now?`} onClose={close}>
        <p>This task, or its service, asks for a confirmation before each run by hand. Nothing has run yet.</p>
        <div class="dialog-buttons">
          <button type="button" onClick={() => (close(), void runNow(true))}>
            Run it now
          </button>
          <button type="button" class="secondary" onClick={close}>
            Do not run
          </button>
        </div>
      </Dialog>

      <Dialog open={current === "delete"} title={`Delete ${task.name}?`} onClose={close}>
        <p>The task and all its runs are deleted. This cannot be undone.</p>
        <div class="dialog-buttons">
          <button type="button" class="danger" onClick={() => (close(), void remove())}>
            Delete the task
          </button>
          <button type="button" class="secondary" onClick={close}>
            Keep it
          </button>
        </div>
      </Dialog>
    </div>
  );
}
