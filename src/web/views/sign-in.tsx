// Asks for an API token; says why the last one was refused, when it was.
import { useSignal } from "@preact/signals";
import { signIn } from "../state/session.js";

export function SignIn({ reason }: { reason: string | null }) {
  const token = useSignal("");
  return (
    <main class="sign-in">
      <h1>Cronline</h1>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          void signIn(token.value);
        }}
      >
        {reason && (
          <p role="alert" class="error">
            The server refused the API token. {reason}
          </p>
        )}
        <label for="token">API token</label>
        <input
          id="token"
          type="password"
          autoComplete="off"
          spellcheck={false}
          required
          placeholder="cl_…"
          value={token.value}
          onInput={(event) => (token.value = event.currentTarget.value)}
        />
        <p class="hint">
          An ADMIN creates one with <code>npm run token -- create --role viewer --name &lt;name&gt;</code>. The page keeps it in this tab only
          (sessionStorage) and forgets it when the tab closes or you sign out.
        </p>
        <button type="submit">Sign in</button>
      </form>
    </main>
  );
}
