import { Layout } from "./layout";

/** The sign-in form; `error` is shown (and announced) after a refused token. */
export function SignInPage(props: { error?: string }) {
  return (
    <Layout title="Sign in">
      <h1>Sign in</h1>
      <p>Enter the operator's admin token (ADMIN_TOKEN) to open a dashboard session.</p>
      {props.error && (
        <p class="error" role="alert" id="sign-in-error">
          {props.error}
        </p>
      )}
      <form method="post" action="/dashboard/sign-in" class="stack">
        <label for="token">Admin token</label>
        <input
          id="token"
          name="token"
          type="password"
          autocomplete="current-password"
          required
          aria-describedby={props.error ? "sign-in-error" : undefined}
        />
        <button type="submit">Sign in</button>
      </form>
    </Layout>
  );
}
