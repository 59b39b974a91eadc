// The schedule page: mounts the app and opens the session this tab kept.
import { render } from "preact";
import "./styles.css";
import { resumeSession } from "./state/session.js";
import { App, ErrorBoundary } from "./views/app.js";

render(
  <ErrorBoundary>
    <App />
  </ErrorBoundary>,
  document.getElementById("app")!,
);
void resumeSession();
