// The page's frame: sign-in until the server accepts the reader, then the header (connection,
// who is signed in) above the schedule or a task. A fault while drawing shows as words.
import { Component, type ComponentChildren } from "preact";
import type { ConnectionStatus } from "../api/live.js";
import { route, scheduleHref } from "../state/route.js";
import { retrySession, session, signOut, type Api, type Viewer } from "../state/session.js";
import { Notices } from "./notices.js";
import { SchedulePage } from "./schedule-page.js";
import { SignIn } from "./sign-in.js";
import { TaskPage } from "./task-page.js";

export function App() {
  const current = session.value;
  switch (current.state) {
    case "checking":
      return <p class="placeholder">Connecting to Cronline…</p>;
    case "signed-out":
      return <SignIn reason={current.reason} />;
    case "unreachable":
      return (
        <main class="sign-in">
          <h1>Cronline</h1>
          <p role="alert" class="error">
            {current.reason}
          </p>
          <button type="button" onClick={() => void retrySession(current.token)}>
            Try again
          </button>
        </main>
      );
    case "signed-in":
      return <SignedIn api={current.api} viewer={current.viewer} canSignOut={current.token !== null} />;
  }
}

const connectionWords: Record<ConnectionStatus, string> = { connecting: "Connecting…", live: "Live", reconnecting: "Reconnecting…" };

function SignedIn({ api, viewer, canSignOut }: { api: Api; viewer: Viewer; canSignOut: boolean }) {
  const status = api.live.status.value;
  const page = route.value;
  return (
    <>
      <header class="top-bar">
        <a class="brand" href={scheduleHref}>
          Cronline
        </a>
        <span class={`connection ${status}`} role="status" title="Live updates from the server">
          {connectionWords[status]}
        </span>
        <span class="viewer">
          {viewer.name} ({viewer.role.toLowerCase()})
        </span>
        <a href="graphql">GraphiQL</a>
        {canSignOut && (
          <button type="button" class="link" onClick={() => signOut()}>
            Sign out
          </button>
        )}
      </header>
      <Notices />
      <main>
        <ErrorBoundary key={page.page === "task" ? page.taskId : "schedule"}>
          {page.page === "task" ? <TaskPage api={api} viewer={viewer} taskId={page.taskId} /> : <SchedulePage api={api} />}
        </ErrorBoundary>
      </main>
    </>
  );
}

/** A fault while drawing a page shows as a message with a way out, never as a blank screen. */
export class ErrorBoundary extends Component<{ children: ComponentChildren }, { error: Error | null }> {
  override state = { error: null as Error | null };
  static override getDerivedStateFromError(error: Error) {
    return { error };
  }
  override render() {
    if (!this.state.error) return this.props.children;
    return (
      <div role="alert" class="error">
        <p>This page could not be shown: {this.state.error.message}</p>
        <button type="button" onClick={() => location.reload()}>
          Reload
        </button>
      </div>
    );
  }
}
