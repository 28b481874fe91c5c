/**
 * The console's features, ingest and sign-in pages (server-rendered, Hono
 * JSX).
 *
 * @module
 */
import type { DeadLetterView } from "./data.ts";

/** One view's lookup rows. */
export interface LookupView {
  view: string;
  online_as_of: string;
  as_of: string;
  rows: { feature: string; online: number | null; offline: number | null; differs: boolean }[];
}

/** `/console/features`. */
export function FeaturesPage(p: {
  entities: string[];
  query: { entity: string; id: string; as_of: string };
  lookup: LookupView[] | null;
  error: string | null;
  freshness: { source: string; lastEventAt: number | null; p99: number | null }[];
  pipeline: { p50: number | null; p99: number | null };
  views: { name: string; version: number; entity: string; definition: string }[];
  now: number;
}) {
  return (
    <>
      <section>
        <h2>Entity lookup</h2>
        <form method="get" action="/console/features" class="lookup">
          <label>
            entity{" "}
            <select name="entity">
              {p.entities.map((e) => <option key={e} selected={e === p.query.entity}>{e}</option>)}
            </select>
          </label>
          <label>
            id <input name="id" value={p.query.id} required />
          </label>
          <label>
            offline as of <input name="as_of" value={p.query.as_of} placeholder="now (ISO 8601)" />
          </label>
          <button type="submit">Look up</button>
        </form>
        {p.error ? <p class="error">{p.error}</p> : null}
        {(p.lookup ?? []).map((v) => (
          <table class="grid lookup-result" data-view={v.view}>
            <caption>
              {v.view}: online as of {v.online_as_of}, offline as of {v.as_of}
            </caption>
            <thead>
              <tr>
                <th>feature</th>
                <th>online</th>
                <th>offline as of</th>
              </tr>
            </thead>
            <tbody>
              {v.rows.map((r) => (
                <tr class={r.differs ? "differs" : ""} data-feature={r.feature}>
                  <td>{r.feature}</td>
                  <td class="num">{r.online ?? "—"}</td>
                  <td class="num">{r.offline ?? "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ))}
      </section>
      <section>
        <h2>Freshness per source</h2>
        <table class="grid" id="freshness">
          <thead>
            <tr>
              <th>source</th>
              <th>last event committed</th>
              <th>broker → committed p99</th>
            </tr>
          </thead>
          <tbody>
            {p.freshness.map((f) => (
              <tr>
                <td>{f.source}</td>
                <td>
                  {f.lastEventAt
                    ? `${Math.round((p.now - f.lastEventAt) / 1000)} s ago`
                    : "not in the sampled window"}
                </td>
                <td>{f.p99 === null ? "—" : `${(f.p99 * 1000).toFixed(0)} ms`}</td>
              </tr>
            ))}
            <tr>
              <td>pipeline (accepted → online)</td>
              <td></td>
              <td>{p.pipeline.p99 === null ? "—" : `${(p.pipeline.p99 * 1000).toFixed(1)} ms`}</td>
            </tr>
          </tbody>
        </table>
      </section>
      <section>
        <h2>View definitions</h2>
        {p.views.map((v) => (
          <details class="view" open>
            <summary>
              {v.name} v{v.version} (entity {v.entity})
            </summary>
            <pre>{v.definition}</pre>
          </details>
        ))}
      </section>
    </>
  );
}

/** `/console/ingest`. */
export function IngestPage(p: { letters: DeadLetterView[] }) {
  return (
    <>
      <section>
        <h2>Throughput and lag per source</h2>
        <div class="plots">
          <div data-plot="ingest" data-title="events/s per source"></div>
        </div>
        <table class="grid" id="sources">
          <thead>
            <tr>
              <th>source</th>
              <th>events/s</th>
              <th>dead letters/s</th>
              <th>lag</th>
              <th>freshness p50 / p99</th>
            </tr>
          </thead>
          <tbody></tbody>
        </table>
      </section>
      <section>
        <h2>Dead letters</h2>
        <p>
          Fix a payload in place, tick it and replay: it is validated first, and an invalid one
          changes nothing.
        </p>
        <button type="button" id="replay-button">Replay selected</button>
        <table class="grid" id="dead-letters">
          <thead>
            <tr>
              <th></th>
              <th>id</th>
              <th>when</th>
              <th>source</th>
              <th>reason</th>
              <th>payload</th>
            </tr>
          </thead>
          <tbody>
            {p.letters.map((l) => (
              <tr data-id={l.id} class={l.replayed_at ? "replayed" : ""}>
                <td>
                  {l.replayed_at ? "" : <input type="checkbox" name="replay" value={l.id} />}
                </td>
                <td>{l.id}</td>
                <td>{l.created_at.replace("T", " ").slice(0, 19)}</td>
                <td>{l.source}</td>
                <td class="reason">
                  {l.reason}
                  {l.replayed_at
                    ? <div class="ok">replayed {l.replayed_at} as {l.replayed_event_id}</div>
                    : null}
                </td>
                <td>
                  <textarea rows={3} cols={60} disabled={!!l.replayed_at}>{l.payload}</textarea>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </>
  );
}

/** `/console/login`. */
export function LoginPage(p: { failed: boolean }) {
  return (
    <form method="post" action="/console/login" class="login">
      <p>The console needs the admin token.</p>
      {p.failed ? <p class="error">That token is not the admin token.</p> : null}
      <label>
        admin token <input name="token" type="password" autocomplete="current-password" required />
      </label>
      <button type="submit">Sign in</button>
    </form>
  );
}
