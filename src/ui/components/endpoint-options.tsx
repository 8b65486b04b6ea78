/**
 * An endpoint's options (format, payload filter, transform, batching) shown and edited, with
 * the filter test and the transform preview: the same forms in the dashboard and the portal,
 * which differ only in where the forms post and in the session's CSRF token.
 */
import { ProblemNote } from "../apps";
import { FORMATS, type OptionsState, type OptionsValues } from "../endpoint-options";
import { Csrf } from "../layout";

const FORMAT_LABELS: Record<string, string> = {
  "standard-webhooks": "Standard Webhooks (default)",
  cloudevents: "CloudEvents, structured",
  "cloudevents-binary": "CloudEvents, binary",
};

/** The stored options as `<dt>`/`<dd>` pairs, for a page's facts list. */
export function OptionsFacts(props: { stored: OptionsValues }) {
  const { stored } = props;
  return (
    <>
      <dt>Format</dt>
      <dd>
        <code>{stored.format}</code>
      </dd>
      <dt>Payload filter</dt>
      <dd>
        {stored.filter === "" ? (
          "none (every payload)"
        ) : (
          <pre class="opts-pre">{stored.filter}</pre>
        )}
      </dd>
      <dt>Transform</dt>
      <dd>{stored.transform === "" ? "none" : <pre class="opts-pre">{stored.transform}</pre>}</dd>
      <dt>Batching</dt>
      <dd>
        {stored.batchMaxEvents === ""
          ? "off"
          : `up to ${stored.batchMaxEvents} events, waits at most ${stored.batchMaxWaitMs} ms`}
      </dd>
    </>
  );
}

/** The options form and the two tries; `base` is the endpoint page's path. */
export function OptionsSection(props: {
  base: string;
  csrf: string;
  stored: OptionsValues;
  state: OptionsState;
}) {
  const { base, state } = props;
  const values = state.refused?.values ?? props.stored;
  return (
    <section aria-labelledby="options-h">
      <h2 id="options-h">Options</h2>
      <form method="post" action={`${base}/options`} class="opts" aria-labelledby="options-h">
        <Csrf token={props.csrf} />
        {state.refused && <ProblemNote problem={state.refused.problem} />}
        <label for="opt-format">Format</label>
        <select id="opt-format" name="format">
          {FORMATS.map((f) => (
            <option value={f} selected={f === values.format}>
              {FORMAT_LABELS[f] ?? f}
            </option>
          ))}
        </select>
        <label for="opt-filter">Payload filter (JSON)</label>
        <textarea id="opt-filter" name="filter" rows={6} aria-describedby="opt-filter-hint">
          {values.filter}
        </textarea>
        <p id="opt-filter-hint" class="hint">
          MongoDB-style, e.g. <code>{'{"amount": {"$gte": 100}}'}</code>; empty delivers every
          payload.
        </p>
        <label for="opt-transform">Transform (JSONata)</label>
        <textarea
          id="opt-transform"
          name="transform"
          rows={4}
          aria-describedby="opt-transform-hint"
        >
          {values.transform}
        </textarea>
        <p id="opt-transform-hint" class="hint">
          Reshapes the body the format builds; empty sends it as built.
        </p>
        <label for="opt-batch-max-events">Batch: max events</label>
        <input
          id="opt-batch-max-events"
          name="batchMaxEvents"
          inputmode="numeric"
          value={values.batchMaxEvents}
          aria-describedby="opt-batch-hint"
        />
        <label for="opt-batch-max-wait">Batch: max wait (ms)</label>
        <input
          id="opt-batch-max-wait"
          name="batchMaxWaitMs"
          inputmode="numeric"
          value={values.batchMaxWaitMs}
          aria-describedby="opt-batch-hint"
        />
        <p id="opt-batch-hint" class="hint">
          Sends up to max events (2 to 100) deliveries in one request, once that many are waiting or
          the oldest has waited max wait (100 to 60000 ms). Both empty: one delivery per request.
          Not with the CloudEvents binary format or a transform.
        </p>
        <button type="submit">Save options</button>
      </form>
      <FilterTest base={base} csrf={props.csrf} state={state} />
      <TransformPreview base={base} csrf={props.csrf} state={state} />
    </section>
  );
}

function FilterTest(props: { base: string; csrf: string; state: OptionsState }) {
  const run = props.state.filterTest;
  return (
    <form method="post" action={`${props.base}/filter-test`} class="opts" aria-labelledby="ft-h">
      <h3 id="ft-h">Test filter</h3>
      <Csrf token={props.csrf} />
      <label for="ft-payload">Sample payload (JSON), tried on the saved filter</label>
      <textarea id="ft-payload" name="payload" rows={4} required>
        {run?.payload ?? ""}
      </textarea>
      <button type="submit">Test filter</button>
      {run &&
        ("problem" in run.outcome ? (
          <ProblemNote problem={run.outcome.problem} />
        ) : (
          <p role="status" class="ep-notice">
            {run.outcome.matches
              ? "Matches: this payload would be delivered."
              : "Does not match: this payload would not be delivered."}
          </p>
        ))}
    </form>
  );
}

function TransformPreview(props: { base: string; csrf: string; state: OptionsState }) {
  const run = props.state.preview;
  return (
    <form
      method="post"
      action={`${props.base}/transform-preview`}
      class="opts"
      aria-labelledby="tp-h"
    >
      <h3 id="tp-h">Preview transform</h3>
      <Csrf token={props.csrf} />
      <label for="tp-payload">Sample payload (JSON), run through the saved transform</label>
      <textarea id="tp-payload" name="payload" rows={4} required>
        {run?.payload ?? ""}
      </textarea>
      <label for="tp-event-type">Event type (optional)</label>
      <input id="tp-event-type" name="eventType" value={run?.eventType ?? ""} maxlength={256} />
      <button type="submit">Preview transform</button>
      {run &&
        ("problem" in run.outcome ? (
          <ProblemNote problem={run.outcome.problem} />
        ) : (
          <div role="status">
            <p>
              {run.outcome.preview.transformed
                ? "The transform would send:"
                : "No transform is saved; the body as built:"}
            </p>
            <dl class="facts">
              <dt>URL</dt>
              <dd>
                <code>{run.outcome.preview.url}</code>
              </dd>
              <dt>Added headers</dt>
              <dd>
                {Object.keys(run.outcome.preview.headers).length === 0 ? (
                  "none"
                ) : (
                  <pre class="opts-pre">
                    {Object.entries(run.outcome.preview.headers)
                      .map(([k, v]) => `${k}: ${v}`)
                      .join("\n")}
                  </pre>
                )}
              </dd>
              <dt>Body</dt>
              <dd>
                <pre class="opts-pre">{run.outcome.preview.body}</pre>
              </dd>
            </dl>
          </div>
        ))}
    </form>
  );
}
