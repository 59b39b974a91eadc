// Starts GraphiQL from the files this server serves (see scripts/build-web.ts): tells Monaco
// where its editor workers are, then renders with the options the server put in the page. A
// token the schedule page keeps in this tab goes in the Headers tab in place of the hint.
import { storedToken } from "../state/token-storage.js";

declare global {
  interface Window {
    MonacoEnvironment?: { globalAPI: boolean; getWorkerUrl(moduleId: string, label: string): string };
    YogaGraphiQL: { renderYogaGraphiQL(root: Element, options: Record<string, unknown>): void };
  }
}

const readJson = (id: string): Record<string, unknown> => JSON.parse(document.getElementById(id)!.textContent!) as Record<string, unknown>;

const workers = readJson("graphiql-workers") as Record<string, string>;
window.MonacoEnvironment = {
  globalAPI: false,
  getWorkerUrl: (_moduleId, label) => new URL(workers[label] ?? workers.editorWorkerService!, document.baseURI).toString(),
};

addEventListener("DOMContentLoaded", () => {
  const options = readJson("graphiql-options");
  const token = storedToken();
  if (token !== null) options.headers = JSON.stringify({ Authorization: `Bearer ${token}` }, null, 2);
  window.YogaGraphiQL.renderYogaGraphiQL(document.getElementById("root")!, options);
});
