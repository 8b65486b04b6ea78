/**
 * One attempt's request as it went out (rebuilt on read), with copy-as-curl and the snippet
 * that verifies its signature: the part of the message view a receiver's developer copies from.
 */
import type { ViewRequest } from "./message-view";

export function RequestView(props: { request: ViewRequest; attemptId: string }) {
  const r = props.request;
  return (
    <>
      <h4>Request headers</h4>
      <p class="muted">
        {r.method} <code>{r.url}</code>
      </p>
      <table class="headers">
        <caption>Headers of this attempt's request</caption>
        <thead>
          <tr>
            <th scope="col">Header</th>
            <th scope="col">Value</th>
          </tr>
        </thead>
        <tbody>
          {r.headers.map((h) => (
            <tr>
              <th scope="row">
                <code>{h.name}</code>
              </th>
              <td>
                <code data-header={h.name}>{h.value}</code>
                {h.redacted ? <span class="muted"> (secret, redacted)</span> : ""}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p class="note">{r.signature.detail}</p>
      {r.notes.length > 0 && (
        <ul class="notes">
          {r.notes.map((n) => (
            <li>{n}</li>
          ))}
        </ul>
      )}
      <details>
        <summary>Copy as curl</summary>
        <CodeBlock id={`curl-${props.attemptId}`} label="curl command" text={curlCommand(r)} />
      </details>
    </>
  );
}

/**
 * A preformatted block with a copy button: the button does nothing without the dashboard's
 * small enhancement script; selecting the text works everywhere.
 */
export function CodeBlock(props: { id: string; label: string; text: string }) {
  return (
    <section class="code" aria-label={props.label}>
      <pre id={props.id} tabindex={0}>
        <code>{props.text}</code>
      </pre>
      <button type="button" class="copy" data-copy={props.id} hidden>
        Copy
      </button>
    </section>
  );
}

/** A POSIX shell single-quoted word. */
function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'"'"'`)}'`;
}

/** The request as a curl command; redacted header values stay redacted. */
export function curlCommand(r: ViewRequest): string {
  const lines = [`curl -X ${r.method} ${shellQuote(r.url)}`];
  for (const h of r.headers) lines.push(`  -H ${shellQuote(`${h.name}: ${h.value}`)}`);
  lines.push(`  --data-raw ${shellQuote(r.body)}`);
  return lines.join(" \\\n");
}

/** Verifies a request with the endpoint's secret, as any Standard Webhooks receiver does. */
export const VERIFY_SNIPPET = `import { Webhook } from "standardwebhooks";

// The endpoint's signing secret, whsec_... (shown once when the endpoint was created).
const wh = new Webhook(process.env.WEBHOOK_SECRET);

// rawBody: the request body as received (a string or Buffer), not re-serialized JSON.
export function verify(rawBody, headers) {
  // Throws when the signature does not match or the timestamp is too old.
  return wh.verify(rawBody, {
    "webhook-id": headers["webhook-id"],
    "webhook-timestamp": headers["webhook-timestamp"],
    "webhook-signature": headers["webhook-signature"],
  });
}`;
